import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PostgresJoinQueries } from "../../src/adapters/postgres/queries/join-queries.js";
import { HmacJoinTokenSigner } from "../../src/adapters/tokens/hmac-join-token.js";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { streamText } from "../support/sse.js";

/**
 * Issue 24: a participant's join token is verified once per request, at the edge (src/http/
 * participant-auth.ts), for the rate limiter's key and the route alike, and the use cases get the
 * verified credential. The patient's stream verified its token three times and read the join
 * state twice before its first change; its re-reads verified the token again each time.
 */
describe("a join token is verified once per request (PostgreSQL)", () => {
  const clock = new ManualClock(new Date());
  let app: TestApp;
  let base: string;
  let staff: string;
  const verify = vi.spyOn(HmacJoinTokenSigner.prototype, "verify");
  const reads = vi.spyOn(PostgresJoinQueries.prototype, "joinState");

  beforeAll(async () => {
    // The participant limit on, so the limiter keys every join-token request by its participant.
    app = await bootApp({ clock, env: { RATE_LIMIT_PARTICIPANT_PER_MIN: "1000" } });
    await configureTenant(app, "edge-clinic");
    staff = await staffToken("edge-clinic", ["clinician"]);
    base = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    verify.mockRestore();
    reads.mockRestore();
    await app?.close();
  });

  async function waitingPatient(): Promise<{ sessionId: string; pid: string; token: string }> {
    const now = clock.now();
    const body = sessionBody({ scheduledStart: now.toISOString(), scheduledEnd: new Date(now.getTime() + 1_800_000).toISOString() });
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body })).json();
    const pid: string = session.participants.find((p: { role: string }) => p.role === "patient").id;
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: staff });
    const token: string = issued.json().token;
    expect((await app.request({ method: "POST", url: "/v1/join/validate", body: { token } })).statusCode).toBe(200);
    return { sessionId: session.id, pid, token };
  }

  it("when the patient opens the event stream and is admitted, then the token was verified once and the join state read once per answer", async () => {
    const { sessionId, pid, token } = await waitingPatient();
    verify.mockClear();
    reads.mockClear();
    const abort = new AbortController();
    const res = await fetch(`${base}/v1/join/events`, { headers: { "x-join-token": token }, signal: abort.signal });
    expect(res.status).toBe(200);
    const stream = streamText(res);
    try {
      expect(await stream.until(/event: status\ndata: [^\n]*"participantStatus":"waiting"/)).toBe(true);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(reads).toHaveBeenCalledTimes(1); // the first answer; nothing changed since it was read
      expect((await app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/admit`, token: staff })).statusCode).toBe(200);
      expect(await stream.until(/"participantStatus":"admitted"[^\n]*"videoJoinUrl"/)).toBe(true);
      expect(reads).toHaveBeenCalledTimes(2); // one more for the admission
      expect(verify).toHaveBeenCalledTimes(1); // the re-read uses the credential of the request
    } finally {
      abort.abort();
    }
  });

  it("when a join-token route is called with the limiter on, then the token is verified once (the limiter's key and the route share it)", async () => {
    const { sessionId, pid, token } = await waitingPatient();
    const header = { "x-join-token": token };
    const calls: Array<{ method: "GET" | "POST"; url: string; body?: unknown }> = [
      { method: "GET", url: "/v1/join/status" },
      { method: "GET", url: "/v1/join/clinic" },
      { method: "POST", url: "/v1/join/validate" },
      { method: "POST", url: "/v1/join/bandwidth", body: { kbps: 5000 } },
      { method: "GET", url: "/v1/join/probe?bytes=1024" },
      { method: "POST", url: "/v1/join/link-request" },
      { method: "GET", url: "/v1/join/async-visits" },
      { method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/join-token` },
    ];
    for (const call of calls) {
      verify.mockClear();
      const res = await app.request({ ...call, headers: header });
      expect(res.statusCode, `${call.method} ${call.url}: ${res.body}`).toBeLessThan(300);
      expect(verify, `${call.method} ${call.url}`).toHaveBeenCalledTimes(1);
    }
  });
});
