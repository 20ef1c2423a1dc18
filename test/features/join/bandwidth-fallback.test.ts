import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { outboxTypes } from "../../support/join.js";

type Json = Record<string, any>;
const FALLBACK_EVENT = "virtualcare.session.fallback_initiated.v1";

describe("bandwidth reports and automatic fallback over HTTP (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock();
  let scheduler: string;
  let clinician: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "clinic-a", { fallbackBandwidthKbps: 300 });
    scheduler = await staffToken("clinic-a", ["scheduler"]);
    clinician = await staffToken("clinic-a", ["clinician"]);
  });
  afterAll(() => app.close());

  /** A running visit: clinician joined directly, patient admitted; returns the patient's token. */
  async function runningVisit(): Promise<{ session: Json; token: string; clinicianToken: string }> {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const [patient, doc] = session.participants;
    const tokenOf = async (pid: string) =>
      (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: clinician })).json()
        .token as string;
    const token = await tokenOf(patient.id);
    const clinicianToken = await tokenOf(doc.id);
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: clinicianToken } });
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    const admitted = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/admit`, token: clinician });
    expect(admitted.statusCode, admitted.body).toBe(200);
    return { session, token, clinicianToken };
  }
  const report = (token: string, kbps: number) =>
    app.request({ method: "POST", url: "/v1/join/bandwidth", headers: { "x-join-token": token }, body: { kbps } });
  const detail = async (id: string): Promise<Json> => (await app.request({ method: "GET", url: `/v1/sessions/${id}`, token: clinician })).json();

  it("when reports are at or above the tenant's threshold, then the visit goes on and the latest is recorded on the participant, with no fallback", async () => {
    const { session, token } = await runningVisit();
    const before = await detail(session.id);
    expect(before.participants[0]).toMatchObject({ precallKbps: null, precallBelowThreshold: null, precallCheckedAt: null });
    for (const kbps of [300, 2500.5, 301]) {
      clock.advance(1000);
      const res = await report(token, kbps);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ fallback: false });
      const now = await detail(session.id);
      expect(now.participants[0]).toMatchObject({ precallKbps: kbps, precallBelowThreshold: false, precallCheckedAt: clock.now().toISOString() });
    }
    const after = await detail(session.id);
    // Each recorded report is a change to a participant: contract §3, the version grows by one.
    expect(after).toMatchObject({ status: "in_progress", version: before.version + 3, fallback: null });
    expect(after.participants[1]).toMatchObject({ precallKbps: null, precallCheckedAt: null });
    const rows = await outboxTypes(app, session.id);
    expect(rows.filter((r) => r.type === FALLBACK_EVENT)).toHaveLength(0);
    const audits = rows.filter((r) => r.type === "audit.virtualcare.participant.precall");
    expect(audits).toHaveLength(3);
    // Ids only in the audit trail: the measurement stays on the participant.
    for (const a of audits) {
      expect(a.data.targets).toEqual({ sessionId: session.id, participantId: session.participants[0].id });
      expect(Object.keys(a.data).sort()).toEqual(["action", "actor", "outcome", "targets", "tenantId", "time"]);
    }
  });

  it("when a present guest's report is below the threshold, then it is recorded as below but the visit does not fall back", async () => {
    const { session } = await runningVisit();
    const guest = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants`, token: scheduler, body: { role: "guest", displayName: "Interpreter friend" } })).json();
    const guestToken = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${guest.id}/join-token`, token: scheduler })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: guestToken } });
    expect((await report(guestToken, 20)).json()).toEqual({ fallback: false });
    const after = await detail(session.id);
    expect(after.status).toBe("in_progress");
    expect(after.participants.find((p: Json) => p.id === guest.id)).toMatchObject({ precallKbps: 20, precallBelowThreshold: true });
  });

  it("when many reports below the threshold arrive at once, then the visit falls back exactly once", async () => {
    for (let round = 0; round < 3; round++) {
      const { session, token, clinicianToken } = await runningVisit();
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => report(i % 2 === 0 ? token : clinicianToken, 100 + i)),
      );
      for (const a of answers) {
        expect(a.statusCode, a.body).toBe(200);
        expect(a.json()).toEqual({ fallback: true });
      }
      const after = await detail(session.id);
      expect(after.status).toBe("fallback");
      expect(after.fallback.measuredKbps).toBeLessThan(300);
      const rows = await outboxTypes(app, session.id);
      const events = rows.filter((r) => r.type === FALLBACK_EVENT);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ sessionId: session.id, measuredKbps: after.fallback.measuredKbps });
      expect(rows.filter((r) => r.type === "audit.virtualcare.session.fallback")).toHaveLength(1);
      // The report that decided is the one recorded; the others found the visit already in fallback.
      const recorded = after.participants.filter((p: Json) => p.precallKbps !== null);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({ precallKbps: after.fallback.measuredKbps, precallBelowThreshold: true });

      // Later reports, low or not, only confirm it.
      expect((await report(token, 5)).json()).toEqual({ fallback: true });
      expect((await report(token, 5000)).json()).toEqual({ fallback: true });
      expect((await outboxTypes(app, session.id)).filter((r) => r.type === FALLBACK_EVENT)).toHaveLength(1);
    }
  });

  it("when a waiting patient's pre-visit check is too slow, then the scheduled visit falls back", async () => {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants[0].id;
    const token = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    const res = await app.request({ method: "POST", url: "/v1/join/bandwidth", body: { token, kbps: 80 } });
    expect(res.json()).toEqual({ fallback: true });
    const after = await detail(session.id);
    expect(after).toMatchObject({ status: "fallback", fallback: { measuredKbps: 80 } });
    // One command: the fallback and the patient's recorded check are one version step.
    expect(after.version).toBe(session.version + 2); // validate, then the report
    expect(after.participants[0]).toMatchObject({ precallKbps: 80, precallBelowThreshold: true, precallCheckedAt: clock.now().toISOString() });
  });

  it("when a waiting patient below the threshold chooses to try video anyway, then the low result is recorded with that choice and the visit stays on video", async () => {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants[0].id;
    const token = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    const res = await app.request({ method: "POST", url: "/v1/join/bandwidth", body: { token, kbps: 90, videoAnyway: true } });
    expect(res.json()).toEqual({ fallback: false });
    const after = await detail(session.id);
    expect(after.status).toBe("scheduled");
    expect(after.participants[0]).toMatchObject({ precallKbps: 90, precallBelowThreshold: true, precallVideoAnyway: true, status: "waiting" });
    // A later ordinary report above the threshold clears the choice: there is nothing to excuse.
    await app.request({ method: "POST", url: "/v1/join/bandwidth", body: { token, kbps: 900 } });
    expect((await detail(session.id)).participants[0]).toMatchObject({ precallKbps: 900, precallBelowThreshold: false, precallVideoAnyway: null });
  });

  it("when the visit has ended, then a bandwidth report answers 409 with the status", async () => {
    const { session, token } = await runningVisit();
    await app.request({ method: "POST", url: `/v1/sessions/${session.id}/end`, token: clinician });
    const res = await report(token, 10);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "ended" });
  });

  it("when kbps is missing or negative, then 400 VALIDATION_FAILED", async () => {
    const { token } = await runningVisit();
    for (const body of [{}, { kbps: -1 }, { kbps: "fast" }]) {
      const res = await app.request({ method: "POST", url: "/v1/join/bandwidth", headers: { "x-join-token": token }, body });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
    }
  });
});
