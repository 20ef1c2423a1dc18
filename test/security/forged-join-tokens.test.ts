import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HmacJoinTokenSigner } from "../../src/adapters/tokens/hmac-join-token.js";
import { bootApp, configureTenant, type TestApp } from "../support/app.js";
import { sql } from "../support/join.js";

type Row = { data: { tenantId: string; outcome: string; reason?: string; targets: Record<string, string> } };

/**
 * Issue 20, finding 7(d): forged join tokens left no audit trace, and the first row written for a
 * refused request did not say where it came from (only the window's summary did).
 */
describe("refused credentials leave an audit trace with the client address (PostgreSQL)", () => {
  let app: TestApp;
  // A token in the service's format and with its key id, signed with a key the service does not hold.
  const forger = new HmacJoinTokenSigner([{ kid: "test", key: randomBytes(32) }]);
  const forged = () =>
    forger.issue({ tenantId: "forge", sessionId: crypto.randomUUID(), participantId: crypto.randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) });

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "forge");
  });
  afterAll(() => app.close());

  const rows = async (reason: string) =>
    sql<Row>(app, "select data from virtual_care_outbox where type = 'audit.virtualcare.auth.authenticate' and data->>'reason' = $1 order by seq", [reason]);
  const from = (ip: string, url: string, init: { method: "GET" | "POST"; headers?: Record<string, string>; body?: unknown }) =>
    app.service.app.inject({
      method: init.method,
      url,
      remoteAddress: ip,
      headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
      payload: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it("a forged join token on validate is refused 401 TOKEN_INVALID and audited at once, with the route and client address", async () => {
    const res = await from("203.0.113.9", "/v1/join/validate", { method: "POST", body: { token: forged() } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe("TOKEN_INVALID");
    const found = (await rows("TOKEN_INVALID")).filter((r) => r.data.targets.source === "203.0.113.9");
    expect(found).toHaveLength(1);
    expect(found[0]!.data).toMatchObject({ tenantId: "_unauthenticated", outcome: "denied", targets: { route: "POST /v1/join/validate" } });
  });

  it("forged tokens on the status poll are audited once per address and window, and the summary counts the rest", async () => {
    for (let i = 0; i < 30; i++) {
      const res = await from("203.0.113.10", "/v1/join/status", { method: "GET", headers: { "x-join-token": forged() } });
      expect(res.statusCode).toBe(401);
    }
    const mine = async () => (await rows("TOKEN_INVALID")).filter((r) => r.data.targets.source === "203.0.113.10");
    expect(await mine()).toHaveLength(1);
    await app.service.app.close(); // closing flushes the window
    const after = await mine();
    expect(after).toHaveLength(2);
    expect(after[1]!.data.targets).toMatchObject({ route: "GET /v1/join/status", repeated: "29" });
  });
});

describe("the first refusal of a bad staff bearer names its client address (PostgreSQL)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp();
  });
  afterAll(() => app.close());

  it("the row written at once carries targets.source", async () => {
    const res = await app.service.app.inject({ method: "GET", url: "/v1/sessions", remoteAddress: "203.0.113.11", headers: { authorization: "Bearer garbage" } });
    expect(res.statusCode).toBe(401);
    const rows = await sql<Row>(app, "select data from virtual_care_outbox where type = 'audit.virtualcare.auth.authenticate' order by seq");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data.targets).toMatchObject({ route: "GET /v1/sessions", source: "203.0.113.11" });
  });
});
