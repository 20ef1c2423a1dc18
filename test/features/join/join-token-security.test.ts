import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { outboxTypes } from "../../support/join.js";

type Json = Record<string, any>;
const KEY_1 = randomBytes(32).toString("base64");
const KEY_2 = randomBytes(32).toString("base64");
const TOKEN_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."];

describe("join token security over HTTP (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock();
  let scheduler: string;
  let session: Json;
  let patientToken: string;

  beforeAll(async () => {
    app = await bootApp({ clock, env: { JOIN_TOKEN_KEYS: `k1:${KEY_1}` } });
    await configureTenant(app, "clinic-a", { joinTokenTtlSeconds: 600 });
    scheduler = await staffToken("clinic-a", ["scheduler"]);
    session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    patientToken = await issueFor(app, session.participants[0].id);
  });
  afterAll(() => app.close());

  async function issueFor(target: TestApp, pid: string): Promise<string> {
    // A clinician: some of these are the clinician participant's, which a scheduler may not issue (issue 20).
    const res = await target.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: await staffToken("clinic-a", ["clinician"]) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().token;
  }
  const validate = (target: TestApp, token: string) => target.request({ method: "POST", url: "/v1/join/validate", body: { token } });
  const poll = (target: TestApp, token: string) =>
    target.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } });

  it("when any character of a token is changed, inserted or deleted, then 401 TOKEN_INVALID", async () => {
    const char = fc.oneof(fc.constantFrom(...TOKEN_CHARS), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
    const edit = fc.oneof(
      fc.record({ op: fc.constant("replace" as const), at: fc.nat(), ch: char }),
      fc.record({ op: fc.constant("insert" as const), at: fc.nat(), ch: char }),
      fc.record({ op: fc.constant("delete" as const), at: fc.nat(), ch: fc.constant("") }),
    );
    await fc.assert(
      fc.asyncProperty(edit, async ({ op, at, ch }) => {
        const i = at % patientToken.length;
        if (op === "replace") fc.pre(patientToken[i] !== ch);
        const tampered =
          patientToken.slice(0, i) + (op === "delete" ? "" : ch) + patientToken.slice(op === "insert" ? i : i + 1);
        const res = await validate(app, tampered);
        expect(res.statusCode, tampered).toBe(401);
        expect(res.json().code).toBe("TOKEN_INVALID");
      }),
      { numRuns: 300 },
    );
    // The untouched token still works: the refusals above were about the edits.
    expect((await validate(app, patientToken)).statusCode).toBe(200);
  });

  it("when the last character of the signature is swapped for any other, then the poll refuses it (no spare-bit slack)", async () => {
    const last = patientToken.at(-1)!;
    for (const ch of TOKEN_CHARS.filter((c) => c !== last && c !== ".")) {
      const res = await poll(app, patientToken.slice(0, -1) + ch);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe("TOKEN_INVALID");
    }
  });

  it("when no token is sent, then 401 TOKEN_INVALID on every join route", async () => {
    for (const res of [
      await app.request({ method: "POST", url: "/v1/join/validate", body: {} }),
      await app.request({ method: "GET", url: "/v1/join/status" }),
      await app.request({ method: "POST", url: "/v1/join/bandwidth", body: { kbps: 50 } }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe("TOKEN_INVALID");
    }
  });

  it("when a token outlives the tenant's TTL, then 401 TOKEN_EXPIRED everywhere, and the attempt is audited", async () => {
    const pid = session.participants[1].id;
    const token = await issueFor(app, pid);
    clock.advance(599_000);
    expect((await poll(app, token)).statusCode).toBe(200);
    clock.advance(1_000);
    for (const res of [
      await validate(app, token),
      await poll(app, token),
      await app.request({ method: "POST", url: "/v1/join/bandwidth", headers: { "x-join-token": token }, body: { kbps: 10 } }),
      await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, headers: { "x-join-token": token } }),
    ]) {
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json().code).toBe("TOKEN_EXPIRED");
    }
    const audit = (await outboxTypes(app, session.id)).filter((r) => r.type === "audit.virtualcare.join.validate");
    expect(audit.at(-1)?.data).toMatchObject({ outcome: "denied", reason: "TOKEN_EXPIRED", actor: { kind: "participant", id: pid } });
    // Staff can always issue a fresh one.
    expect((await poll(app, await issueFor(app, pid))).statusCode).toBe(200);
  });

  it("when keys rotate across restarts, then an old token verifies while its key is listed and fails once it is removed", async () => {
    const shared = { DATABASE_URL: app.db!.url };
    const pid = session.participants[0].id;
    const oldToken = await issueFor(app, pid);

    const rotating = await bootApp({ clock, env: { ...shared, JOIN_TOKEN_KEYS: `k2:${KEY_2},k1:${KEY_1}` } });
    let newToken: string;
    try {
      expect((await poll(rotating, oldToken)).statusCode).toBe(200);
      newToken = await issueFor(rotating, pid);
      expect(newToken.startsWith("k2.")).toBe(true);
      expect((await poll(rotating, newToken)).statusCode).toBe(200);
      // A replica still on the old list does not know k2 yet.
      expect((await poll(app, newToken)).json().code).toBe("TOKEN_INVALID");
    } finally {
      await rotating.close();
    }

    const rotated = await bootApp({ clock, env: { ...shared, JOIN_TOKEN_KEYS: `k2:${KEY_2}` } });
    try {
      const refused = await poll(rotated, oldToken);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe("TOKEN_INVALID");
      expect((await poll(rotated, newToken)).statusCode).toBe(200);
    } finally {
      await rotated.close();
    }
  });
});
