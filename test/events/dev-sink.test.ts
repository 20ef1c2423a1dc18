import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually } from "../support/nats.js";

describe("embedded default: PGlite and no NATS_URL", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await bootApp({ database: "pglite", env: { RELAY_POLL_INTERVAL_MS: "50" } });
    await configureTenant(app, "embedded-clinic");
  });
  afterAll(() => app.close());

  it("when sessions are created without NATS, then the dev sink drains the outbox so nothing piles up", async () => {
    const token = await staffToken("embedded-clinic", ["scheduler"]);
    for (let i = 0; i < 3; i++) {
      const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody() });
      expect(res.statusCode).toBe(201);
    }
    const count = async (where: string) => {
      const result = await app.service.database.db.execute(sql.raw(`select count(*)::int as n from virtual_care_outbox ${where}`));
      return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
    };
    // tenant config update + its audit, then per create: session.created + its audit.
    expect(await count("")).toBeGreaterThanOrEqual(8);
    await eventually("the outbox to drain", async () => (await count("where published_at is null")) === 0);
  });
});
