import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type Role, type TestApp } from "../support/app.js";
import { sql, verifyVideoUrl } from "../support/join.js";

const HOUR = 60 * 60 * 1000;

/**
 * Issue 20, finding 1: a scheduler minted the provider's join token and joined as host (owner,
 * moderator) with a video JWT valid until 9999, which removal cannot revoke.
 */
describe("who may act as the host, and for how long (PostgreSQL)", () => {
  let app: TestApp;
  let scheduler: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "host");
    scheduler = await staffToken("host", ["scheduler"]);
  });
  afterAll(() => app.close());

  const create = async (overrides: Record<string, unknown> = {}) =>
    app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody(overrides) });
  const participantId = (session: { participants: Array<{ id: string; role: string }> }, role: string) =>
    session.participants.find((p) => p.role === role)!.id;
  const issue = async (sessionId: string, pid: string, roles: Role[]) =>
    app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/join-token`, token: await staffToken("host", roles) });

  it("a scheduler asking for the clinician participant's join token gets 403 FORBIDDEN, audited as denied", async () => {
    const session = (await create()).json();
    const res = await issue(session.id, participantId(session, "clinician"), ["scheduler"]);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("FORBIDDEN");
    expect(res.json().token).toBeUndefined();
    const audit = await sql<{ outcome: string }>(
      app,
      "select data->>'outcome' as outcome from virtual_care_outbox where type = 'audit.virtualcare.join_token.issue' and aggregate_id = $1",
      [session.id],
    );
    expect(audit.map((a) => a.outcome)).toEqual(["denied"]);
  });

  it("a scheduler still sends the patient's link; a clinician or an admin may issue the clinician's", async () => {
    const session = (await create()).json();
    expect((await issue(session.id, participantId(session, "patient"), ["scheduler"])).statusCode).toBe(200);
    expect((await issue(session.id, participantId(session, "clinician"), ["clinician"])).statusCode).toBe(200);
    expect((await issue(session.id, participantId(session, "clinician"), ["admin"])).statusCode).toBe(200);
  });

  it("a visit scheduled to end more than 24 hours after its start is 400 VALIDATION_FAILED; 24 hours exactly is fine", async () => {
    const far = await create({ scheduledStart: "2026-12-01T10:00:00.000Z", scheduledEnd: "9999-12-30T00:00:00.000Z" });
    expect(far.statusCode).toBe(400);
    expect(far.json().code).toBe("VALIDATION_FAILED");
    expect(far.json().errors ?? far.json().detail).toBeTruthy();
    const day = await create({ scheduledStart: "2026-12-01T10:00:00.000Z", scheduledEnd: "2026-12-02T10:00:00.000Z" });
    expect(day.statusCode).toBe(201);
  });

  it("a stored visit with a far scheduledEnd still mints a video JWT that expires within a day and an hour of issue", async () => {
    const session = (await create()).json();
    // Rows written before the bound existed (or rigged behind the service's back).
    await sql(app, "update virtual_sessions set scheduled_end = '9999-12-30T00:00:00Z' where id = $1", [session.id]);
    const token = (await issue(session.id, participantId(session, "clinician"), ["clinician"])).json().token;
    const before = Date.now();
    const res = await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    expect(res.statusCode).toBe(200);
    expect(res.json().destination).toBe("direct_join");
    const link = await verifyVideoUrl(res.json().videoJoinUrl, { domain: "primary.meet.example.org", at: new Date() });
    expect(link.payload.context?.user?.moderator).toBe(true);
    expect(link.payload.exp! * 1000).toBeLessThanOrEqual(before + 25 * HOUR + 1000);
  });

  it("an ordinary visit's video JWT still lasts until the scheduled end plus one hour (contract §5)", async () => {
    const start = new Date(Date.now() + 2 * HOUR);
    const end = new Date(start.getTime() + 30 * 60 * 1000);
    const session = (await create({ scheduledStart: start.toISOString(), scheduledEnd: end.toISOString() })).json();
    const token = (await issue(session.id, participantId(session, "clinician"), ["clinician"])).json().token;
    const res = await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    const link = await verifyVideoUrl(res.json().videoJoinUrl, { domain: "primary.meet.example.org", at: new Date() });
    expect(link.payload.exp! * 1000).toBeGreaterThanOrEqual(end.getTime() + HOUR);
  });
});
