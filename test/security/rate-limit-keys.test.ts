import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";

/**
 * Issue 20, finding 4 and 7(a): the limiter keyed on the unverified `X-Join-Token` header (every
 * made-up value opened a fresh bucket), and a clinician issuing a link shared the anonymous
 * per-address budget that a patient's garbage requests had spent.
 */
describe("rate-limit keys are verified identities or addresses (PostgreSQL)", () => {
  let app: TestApp;
  let scheduler: string;
  const clock = new ManualClock();
  const ANONYMOUS = 5;
  const PARTICIPANT = 8;

  beforeAll(async () => {
    app = await bootApp({
      clock,
      env: { RATE_LIMIT_ANONYMOUS_PER_MIN: String(ANONYMOUS), RATE_LIMIT_PARTICIPANT_PER_MIN: String(PARTICIPANT), RATE_LIMIT_TENANT_PER_MIN: "1000" },
    });
    await configureTenant(app, "rlk");
    scheduler = await staffToken("rlk", ["scheduler"]);
  });
  afterAll(() => app.close());

  const from = (ip: string, opts: { method: "GET" | "POST"; url: string; headers?: Record<string, string>; body?: unknown }) =>
    app.service.app.inject({
      method: opts.method,
      url: opts.url,
      remoteAddress: ip,
      headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers },
      payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  const garbage = () => `v1.${randomBytes(24).toString("base64url")}.${randomBytes(32).toString("base64url")}`;

  async function patientToken(): Promise<{ sessionId: string; pid: string; token: string }> {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants.find((p: { role: string }) => p.role === "patient").id;
    const res = await from("192.0.2.200", { method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, headers: { authorization: `Bearer ${scheduler}` } });
    expect(res.statusCode).toBe(200);
    return { sessionId: session.id, pid, token: res.json().token };
  }

  it("a fresh made-up X-Join-Token per request does not open a fresh bucket: the address's budget holds", async () => {
    const codes: number[] = [];
    for (let i = 0; i < ANONYMOUS + 3; i++) {
      codes.push((await from("198.51.100.20", { method: "GET", url: "/v1/join/status", headers: { "x-join-token": garbage() } })).statusCode);
    }
    expect(codes.slice(0, ANONYMOUS).every((c) => c === 401)).toBe(true);
    expect(codes.slice(ANONYMOUS)).toEqual([429, 429, 429]);
  });

  it("a valid body token with a made-up header each time is counted against the address, not a new bucket", async () => {
    const { token } = await patientToken();
    const codes: number[] = [];
    for (let i = 0; i < ANONYMOUS + 2; i++) {
      codes.push((await from("198.51.100.21", { method: "POST", url: "/v1/join/validate", headers: { "x-join-token": garbage() }, body: { token } })).statusCode);
    }
    expect(codes.slice(ANONYMOUS)).toEqual([429, 429]);
  });

  it("a verified participant keeps one budget across the tokens it refreshes", async () => {
    const { sessionId, pid, token } = await patientToken();
    const poll = (t: string) => from("198.51.100.22", { method: "GET", url: "/v1/join/status", headers: { "x-join-token": t } });
    for (let i = 0; i < 4; i++) expect((await poll(token)).statusCode).toBe(200);
    clock.advance(5_000); // a later expiry: a token string the limiter has never seen
    const refreshed = await from("198.51.100.22", { method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/join-token`, headers: { "x-join-token": token } });
    expect(refreshed.statusCode).toBe(200);
    const next = refreshed.json().token as string;
    expect(next).not.toBe(token);
    for (let i = 0; i < PARTICIPANT - 5; i++) expect((await poll(next)).statusCode).toBe(200);
    expect((await poll(next)).statusCode).toBe(429);
  });

  it("a clinician issuing a link is counted against the tenant, not the address a patient's garbage exhausted", async () => {
    const ip = "198.51.100.23";
    for (let i = 0; i < ANONYMOUS + 1; i++) await from(ip, { method: "POST", url: "/v1/join/validate", body: { token: garbage() } });
    expect((await from(ip, { method: "POST", url: "/v1/join/validate", body: { token: garbage() } })).statusCode).toBe(429);
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants.find((p: { role: string }) => p.role === "patient").id;
    const clinician = await staffToken("rlk", ["clinician"]);
    const res = await from(ip, { method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, headers: { authorization: `Bearer ${clinician}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().token).toBeTruthy();
  });
});
