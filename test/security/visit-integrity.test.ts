import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { outboxTypes } from "../support/join.js";

type Json = Record<string, any>;

/** Issue 11, defect 4: a guest's token must not wreck a future visit or trigger billing. */
describe("bandwidth reports, cancel and billing (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-11-30T09:00:00Z")); // the visit is tomorrow
  let scheduler: string;
  let clinician: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "integrity", { fallbackBandwidthKbps: 300, waitingRoomEnabled: true });
    scheduler = await staffToken("integrity", ["scheduler"]);
    clinician = await staffToken("integrity", ["clinician"]);
  });
  afterAll(() => app.close());

  const newVisit = async (): Promise<{ session: Json; tokenOf: (pid: string) => Promise<string>; guest: Json }> => {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const guest = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants`, token: scheduler, body: { role: "guest", displayName: "G" } })).json();
    const tokenOf = async (pid: string) =>
      (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: clinician })).json().token as string;
    return { session, tokenOf, guest };
  };
  const report = (token: string, kbps: number) => app.request({ method: "POST", url: "/v1/join/bandwidth", headers: { "x-join-token": token }, body: { kbps } });
  const detail = async (id: string): Promise<Json> => (await app.request({ method: "GET", url: `/v1/sessions/${id}`, token: clinician })).json();

  it("a guest reporting 0 kbps for tomorrow's visit changes nothing, and the clinician can still cancel", async () => {
    const { session, tokenOf, guest } = await newVisit();
    const token = await tokenOf(guest.id);
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    expect((await report(token, 0)).json()).toEqual({ fallback: false });
    expect((await detail(session.id)).status).toBe("scheduled");
    const cancel = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/cancel`, token: clinician, body: { reason: "rebooked" } });
    expect(cancel.statusCode).toBe(200);
  });

  it("a patient's low report a day early, or from a token never validated, changes nothing", async () => {
    const { session, tokenOf } = await newVisit();
    const patientToken = await tokenOf(session.participants[0].id);
    expect((await report(patientToken, 0)).json()).toEqual({ fallback: false }); // invited, not present
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: patientToken } });
    const validated = await detail(session.id);
    expect((await report(patientToken, 0)).json()).toEqual({ fallback: false }); // present, but a day early
    const after = await detail(session.id);
    expect(after.status).toBe("scheduled");
    // Not even recorded: a day-early check says nothing about the visit's connection.
    expect(after.version).toBe(validated.version);
    expect(after.participants[0]).toMatchObject({ precallKbps: null, precallCheckedAt: null });
  });

  it("ending a visit clinician and patient never shared bills nothing; a shared one bills the shared time", async () => {
    clock.set(new Date("2026-12-01T10:00:00Z"));
    const { session, tokenOf } = await newVisit();
    const doctor = session.participants[1];
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: await tokenOf(doctor.id) } }); // clinician alone
    clock.advance(601_000);
    await app.request({ method: "POST", url: `/v1/sessions/${session.id}/end`, token: clinician });
    const lonely = (await outboxTypes(app, session.id)).find((e) => e.type === "virtualcare.billing.session_completed.v1");
    expect(lonely!.data).toMatchObject({ durationSeconds: 0, billable: false });

    const shared = await newVisit();
    const [p2, d2] = shared.session.participants;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: await shared.tokenOf(d2.id) } });
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: await shared.tokenOf(p2.id) } });
    clock.advance(120_000); // the patient waits two minutes
    await app.request({ method: "POST", url: `/v1/sessions/${shared.session.id}/participants/${p2.id}/admit`, token: clinician });
    clock.advance(300_000);
    await app.request({ method: "POST", url: `/v1/sessions/${shared.session.id}/end`, token: clinician });
    const billed = (await outboxTypes(app, shared.session.id)).find((e) => e.type === "virtualcare.billing.session_completed.v1");
    expect(billed!.data).toMatchObject({ durationSeconds: 300, billable: true });
  });
});
