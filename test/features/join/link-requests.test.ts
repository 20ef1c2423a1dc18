import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";

type Json = Record<string, any>;
const TTL_SECONDS = 600;

/** Issue 19, item 7: "ask for a new link" from an expired link, and the clinic's notice. */
describe("asking for a new link (PostgreSQL)", () => {
  const clock = new ManualClock();
  let app: TestApp;
  let clinician: string;
  let scheduler: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "clinic-nl", { joinTokenTtlSeconds: TTL_SECONDS });
    await configureTenant(app, "clinic-nl-other", { joinTokenTtlSeconds: TTL_SECONDS });
    clinician = await staffToken("clinic-nl", ["clinician"], "dr-nl");
    scheduler = await staffToken("clinic-nl", ["scheduler"], "sched-nl");
  });
  afterAll(() => app.close());

  /** A visit and its patient's join token, already expired. */
  const expiredPatientLink = async (patientId = "pat-nl") => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId, providerId: "dr-nl" }) });
    expect(created.statusCode, created.body).toBe(201);
    const session = created.json() as Json;
    const patient = session.participants.find((p: Json) => p.role === "patient");
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${patient.id}/join-token`, token: clinician });
    expect(issued.statusCode, issued.body).toBe(200);
    clock.advance((TTL_SECONDS + 1) * 1000);
    // Really expired: the join routes refuse it.
    expect((await app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": issued.json().token } })).json().code).toBe("TOKEN_EXPIRED");
    return { sessionId: session.id as string, participantId: patient.id as string, token: issued.json().token as string };
  };
  const ask = (token: string) => app.request({ method: "POST", url: "/v1/join/link-request", headers: { "x-join-token": token } });
  const list = (token = clinician) => app.request({ method: "GET", url: "/v1/link-requests", token });
  const resolve = (id: string, token = clinician) => app.request({ method: "POST", url: `/v1/link-requests/${id}/resolve`, token });
  const events = async (participantId: string) =>
    (await app.owner.query("select data from virtual_care_outbox where type = 'virtualcare.participant.link_requested.v1' and data->>'participantId' = $1 order by seq", [participantId])).rows.map((r) => r.data);
  const audits = async (participantId: string) =>
    (
      await app.owner.query(
        "select data from virtual_care_outbox where type = 'audit.virtualcare.link_request.create' and data->'targets'->>'participantId' = $1 order by seq",
        [participantId],
      )
    ).rows.map((r) => r.data);
  /** What the holder of a link sees of an answer: everything but the per-request headers. */
  const seen = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    const { date: _date, "x-request-id": _id, "x-correlation-id": _corr, ...headers } = res.headers;
    return { status: res.statusCode, headers, body: res.body };
  };

  it("when a patient with an expired link asks, then a request is recorded once, announced with ids only, audited, and listed for staff", async () => {
    const link = await expiredPatientLink();
    const first = await ask(link.token);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.body).toBe("");

    const [event] = await events(link.participantId);
    expect(await events(link.participantId)).toEqual([
      { linkRequestId: expect.any(String), sessionId: link.sessionId, participantId: link.participantId, requestedAt: clock.now().toISOString() },
    ]);
    expect(await audits(link.participantId)).toEqual([
      expect.objectContaining({
        outcome: "success",
        actor: expect.objectContaining({ kind: "participant", id: link.participantId }),
        targets: { sessionId: link.sessionId, participantId: link.participantId, linkRequestId: event.linkRequestId },
      }),
    ]);

    // Asking again (a double tap, a second visit to the page): the same answer, nothing piles up.
    clock.advance(60_000);
    const again = await ask(link.token);
    expect(seen(again)).toEqual(seen(first));
    expect(await events(link.participantId)).toHaveLength(1);
    expect((await audits(link.participantId)).map((a) => [a.outcome, a.reason])).toEqual([
      ["success", undefined],
      ["denied", "ALREADY_REQUESTED"],
    ]);

    const listed = await list(scheduler);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items.filter((r: Json) => r.participantId === link.participantId)).toEqual([
      {
        id: event.linkRequestId,
        sessionId: link.sessionId,
        participantId: link.participantId,
        displayName: expect.any(String),
        role: "patient",
        patientId: "pat-nl",
        scheduledStart: "2026-12-01T10:00:00.000Z",
        requestedAt: event.requestedAt,
      },
    ]);
  });

  it("when the link's participant is removed, unknown, or its visit ended or was cancelled, then the answer is the very same and nothing is recorded", async () => {
    const valid = await expiredPatientLink("pat-nl-ok");
    const reference = seen(await ask(valid.token));

    const removed = await expiredPatientLink();
    expect((await app.request({ method: "DELETE", url: `/v1/sessions/${removed.sessionId}/participants/${removed.participantId}`, token: clinician })).statusCode).toBe(200);
    const ended = await expiredPatientLink();
    // Ended as if the visit had taken place (the route ends only a visit under way).
    await app.owner.query("update virtual_sessions set status = 'ended' where id = $1", [ended.sessionId]);
    const cancelled = await expiredPatientLink();
    expect((await app.request({ method: "POST", url: `/v1/sessions/${cancelled.sessionId}/cancel`, token: clinician, body: { reason: "patient unwell" } })).statusCode).toBe(200);
    const unknown = await expiredPatientLink();
    await app.owner.query("delete from virtual_sessions where id = $1", [unknown.sessionId]);

    for (const [what, link, reason] of [
      ["removed", removed, "PARTICIPANT_REMOVED"],
      ["ended", ended, "INVALID_STATUS_TRANSITION"],
      ["cancelled", cancelled, "INVALID_STATUS_TRANSITION"],
      ["unknown", unknown, "NOT_FOUND"],
    ] as const) {
      expect(seen(await ask(link.token)), what).toEqual(reference);
      expect(await events(link.participantId), what).toEqual([]);
      expect((await audits(link.participantId)).map((a) => [a.outcome, a.reason]), what).toEqual([["denied", reason]]);
    }
    const open = (await list()).json().items.map((r: Json) => r.participantId);
    expect(open).toContain(valid.participantId);
    for (const link of [removed, ended, cancelled, unknown]) expect(open).not.toContain(link.participantId);
  });

  it("when the token is forged or missing, then 401 TOKEN_INVALID and nothing is recorded", async () => {
    const link = await expiredPatientLink();
    const forged = link.token.slice(0, -2) + (link.token.endsWith("AA") ? "BB" : "AA");
    for (const headers of [{ "x-join-token": forged }, {}] as Array<Record<string, string>>) {
      const res = await app.request({ method: "POST", url: "/v1/join/link-request", headers });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json().code).toBe("TOKEN_INVALID");
    }
    expect(await events(link.participantId)).toEqual([]);
    // Refused at the edge, it is audited there like a forged token on any join route.
    const edge = async () =>
      (await app.owner.query("select data from virtual_care_outbox where data->>'reason' = 'TOKEN_INVALID' and data->'targets'->>'route' = 'POST /v1/join/link-request'")).rows.length;
    await expect.poll(edge).toBeGreaterThan(0);
  });

  it("when staff close a request, then it leaves the list, closing twice is harmless, and the patient's next ask opens a new one", async () => {
    const link = await expiredPatientLink();
    await ask(link.token);
    const [{ linkRequestId }] = await events(link.participantId);

    // Another tenant's staff neither see nor close it; a role that cannot issue links cannot either.
    const other = await staffToken("clinic-nl-other", ["clinician"], "dr-other");
    expect((await list(other)).json().items).toEqual([]);
    expect((await resolve(linkRequestId, other)).statusCode).toBe(404);
    const platformAdmin = await staffToken("clinic-nl", ["platform_admin"]);
    expect((await list(platformAdmin)).statusCode).toBe(403);
    expect((await resolve(linkRequestId, platformAdmin)).statusCode).toBe(403);
    expect((await app.request({ method: "GET", url: "/v1/link-requests" })).statusCode).toBe(401);

    const closed = await resolve(linkRequestId);
    expect(closed.statusCode, closed.body).toBe(204);
    expect((await resolve(linkRequestId)).statusCode).toBe(204);
    expect((await list()).json().items.map((r: Json) => r.id)).not.toContain(linkRequestId);
    const audit = await app.owner.query("select data from virtual_care_outbox where type = 'audit.virtualcare.link_request.resolve' and data->'targets'->>'linkRequestId' = $1", [linkRequestId]);
    expect(audit.rows.filter((r) => r.data.actor.id === "dr-nl").map((r) => r.data.outcome)).toEqual(["success", "success"]);
    expect(audit.rows.filter((r) => r.data.actor.id !== "dr-nl").map((r) => r.data.outcome)).toEqual(["denied", "denied"]);
    expect((await resolve("00000000-0000-4000-8000-000000000000")).json().code).toBe("NOT_FOUND");

    await ask(link.token);
    const after = await events(link.participantId);
    expect(after).toHaveLength(2);
    expect(after[1].linkRequestId).not.toBe(linkRequestId);
    expect((await list()).json().items.map((r: Json) => r.id)).toContain(after[1].linkRequestId);
  });

  it("when a request's visit is cancelled, or the request is a clinician's, then staff who cannot act on it do not see it", async () => {
    const link = await expiredPatientLink("pat-nl-cancel");
    await ask(link.token);
    const [{ linkRequestId }] = await events(link.participantId);
    expect((await list()).json().items.map((r: Json) => r.id)).toContain(linkRequestId);
    expect((await app.request({ method: "POST", url: `/v1/sessions/${link.sessionId}/cancel`, token: clinician, body: { reason: "rebooked" } })).statusCode).toBe(200);
    expect((await list()).json().items.map((r: Json) => r.id)).not.toContain(linkRequestId);

    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-nl-dr", providerId: "dr-nl" }) });
    const session = created.json() as Json;
    const doctor = session.participants.find((p: Json) => p.role === "clinician");
    const issued = await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${doctor.id}/join-token`, token: clinician });
    expect(issued.statusCode, issued.body).toBe(200);
    clock.advance((TTL_SECONDS + 1) * 1000);
    await ask(issued.json().token);
    const [{ linkRequestId: doctorsRequest }] = await events(doctor.id);
    // A scheduler may not issue a clinician's link (issue 20, item 1): not theirs to see either.
    expect((await list(scheduler)).json().items.map((r: Json) => r.id)).not.toContain(doctorsRequest);
    expect((await list()).json().items.map((r: Json) => r.id)).toContain(doctorsRequest);
  });
});
