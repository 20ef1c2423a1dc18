import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { streamText } from "../../support/sse.js";

/**
 * Issue 19, item 2 (found by review): a link that expires during the call must not silence the
 * visit's end. The patient's stream opened while the link was valid keeps reporting the visit's
 * state; it never hands an expired link a new video URL.
 */
describe("the patient's event stream when the join link expires during the call", () => {
  const clock = new ManualClock(new Date());
  let app: TestApp;
  let base: string;
  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "expiry-clinic", { joinTokenTtlSeconds: 120 });
    base = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => app?.close());

  it("when the clinician ends the visit after the patient's link expired, then the open stream still says the visit ended", async () => {
    const staff = await staffToken("expiry-clinic", ["clinician"]);
    const now = clock.now();
    const created = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token: staff,
      body: sessionBody({ scheduledStart: now.toISOString(), scheduledEnd: new Date(now.getTime() + 1_800_000).toISOString() }),
    });
    const session = created.json();
    const patient = session.participants.find((p: { role: string }) => p.role === "patient");
    const joinToken: string = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/join-token`, token: staff })).json().token;
    expect((await app.request({ method: "POST", url: "/v1/join/validate", body: { token: joinToken } })).statusCode).toBe(200);
    expect((await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/admit`, token: staff })).statusCode).toBe(200);

    const abort = new AbortController();
    const res = await fetch(`${base}/v1/join/events`, { headers: { "x-join-token": joinToken }, signal: abort.signal });
    expect(res.status).toBe(200);
    const stream = streamText(res);
    const until = (pattern: RegExp) => stream.until(pattern);
    try {
      expect(await until(/videoJoinUrl/)).toBe(true);
      clock.advance(300_000); // the 120 s link has expired; the call goes on
      expect((await app.request({ method: "POST", url: `/v1/sessions/${session.id}/end`, token: staff })).statusCode).toBe(200);
      expect(await until(/event: problem\ndata: [^\n]*"currentStatus":"ended"/)).toBe(true);
      expect(stream.received).not.toContain("TOKEN_EXPIRED");
    } finally {
      abort.abort();
    }
  });
});
