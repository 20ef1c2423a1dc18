import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

/** The zero-setup default runs on PGlite: the join path (a prepared statement) must work there too. */
describe("join flow on embedded PGlite", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp({ database: "pglite" });
    await configureTenant(app, "clinic-a");
  });
  afterAll(() => app.close());

  it("when a patient validates, waits and is admitted, then the poll follows every step", async () => {
    const scheduler = await staffToken("clinic-a", ["scheduler"]);
    const clinician = await staffToken("clinic-a", ["clinician"]);
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = s.participants[0].id;
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: scheduler });
    const token = issued.json().token;
    const poll = async () => (await app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } })).json();
    // Reading the status does not check the patient in: still invited, with no waiting time.
    expect(await poll()).toEqual({ participantStatus: "invited", sessionStatus: "scheduled", serverTime: expect.any(String), fallbackBandwidthKbps: expect.any(Number) });
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    expect(await poll()).toEqual({ participantStatus: "waiting", sessionStatus: "scheduled", waitingSince: expect.any(String), serverTime: expect.any(String), fallbackBandwidthKbps: expect.any(Number) });
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/admit`, token: clinician });
    expect(admitted.statusCode, admitted.body).toBe(200);
    const after = await poll();
    expect(after).toMatchObject({ participantStatus: "admitted", sessionStatus: "in_progress" });
    expect(after.videoJoinUrl).toMatch(/^https:\/\/primary\.meet\.example\.org\/vc-[0-9a-f]{40}\?jwt=/);
  });
});
