import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { outboxTypes, verifyVideoUrl } from "../../support/join.js";

type Json = Record<string, any>;

describe("join flow over HTTP (PostgreSQL): waiting room, admission, video URLs", () => {
  let app: TestApp;
  const clock = new ManualClock();
  let scheduler: string;
  let clinician: string;
  let otherClinician: string;
  const DOMAIN = "primary.meet.example.org";

  beforeAll(async () => {
    app = await bootApp({ clock, env: { PUBLIC_BASE_URL: "https://care.example.org/" } });
    await configureTenant(app, "clinic-a", { joinTokenTtlSeconds: 900 });
    await configureTenant(app, "clinic-b");
    scheduler = await staffToken("clinic-a", ["scheduler"]);
    clinician = await staffToken("clinic-a", ["clinician"], "dr-1");
    otherClinician = await staffToken("clinic-a", ["clinician"], "dr-2");
  });
  afterAll(() => app.close());

  const createSession = async (token = scheduler, overrides: Json = {}): Promise<Json> => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody(overrides) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const byRole = (s: Json, role: string): Json => s.participants.find((p: Json) => p.role === role);
  const issue = (sessionId: string, pid: string, token = scheduler) =>
    app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/join-token`, token });
  const joinToken = async (sessionId: string, pid: string): Promise<string> => {
    // A clinician may issue anyone's token; a clinician participant's needs one (issue 20).
    const res = await issue(sessionId, pid, clinician);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().token;
  };
  const validate = (token: string) => app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
  const poll = (token: string) => app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } });
  const admit = (sessionId: string, pid: string, token = clinician) =>
    app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${pid}/admit`, token });
  const detail = async (sessionId: string): Promise<Json> =>
    (await app.request({ method: "GET", url: `/v1/sessions/${sessionId}`, token: clinician })).json();

  it("when staff issue a join token, then it lives for the tenant's TTL and the link is PUBLIC_BASE_URL/join?token=", async () => {
    const s = await createSession();
    const res = await issue(s.id, byRole(s, "patient").id);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.expiresAt).toBe(new Date(clock.now().getTime() + 900_000).toISOString());
    expect(body.joinUrl).toBe(`https://care.example.org/join?token=${encodeURIComponent(body.token)}`);
    expect(body.token).not.toContain(s.patientId);
  });

  it("when the clinician validates, then direct_join with a moderator video URL, and the visit starts", async () => {
    const s = await createSession();
    const doc = byRole(s, "clinician");
    const res = await validate(await joinToken(s.id, doc.id));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ destination: "direct_join", sessionId: s.id, participantId: doc.id, role: "clinician" });
    const link = await verifyVideoUrl(body.videoJoinUrl, { domain: DOMAIN, at: clock.now() });
    expect(link.room).toBe(s.video.roomName);
    expect(link.payload.context?.user).toEqual({ id: doc.id, name: "Clinician", affiliation: "owner", moderator: true });
    const after = await detail(s.id);
    expect(after).toMatchObject({ status: "in_progress", startedAt: clock.now().toISOString() });
    expect(byRole(after, "clinician").status).toBe("admitted");
  });

  it("when the patient validates, then waiting_room with no video URL, and polling stays without one until admitted", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    const first = await validate(token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ destination: "waiting_room", sessionId: s.id, participantId: patient.id, role: "patient" });
    const waitingSince = byRole(await detail(s.id), "patient").waitingSince;
    expect(waitingSince).toBe(clock.now().toISOString());

    clock.advance(30_000);
    // The same token in the X-Join-Token header, with no body, is the same request.
    const again = await app.request({ method: "POST", url: "/v1/join/validate", headers: { "x-join-token": token } });
    expect(again.json()).toEqual(first.json());
    expect(byRole(await detail(s.id), "patient").waitingSince).toBe(waitingSince); // idempotent

    const waiting = await poll(token);
    expect(waiting.statusCode).toBe(200);
    // The time waited comes from the server: when the patient checked in, and the server's clock now.
    expect(waiting.json()).toEqual({ participantStatus: "waiting", sessionStatus: "scheduled", waitingSince, serverTime: clock.now().toISOString(), fallbackBandwidthKbps: 150 });
  });

  it("when a clinician admits the waiting patient, then the Jitsi JWT carries every claim of contract §5 and the poll serves it again", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    await validate(token);
    const res = await admit(s.id, patient.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe('"3"');
    const body = res.json();
    expect(body.participant).toMatchObject({ id: patient.id, status: "admitted", admittedAt: clock.now().toISOString() });

    const link = await verifyVideoUrl(body.videoJoinUrl, { domain: DOMAIN, at: clock.now() });
    const nowSec = Math.floor(clock.now().getTime() / 1000);
    const scheduledEndSec = Date.parse(s.scheduledEnd) / 1000;
    expect(link.room).toBe(s.video.roomName);
    expect(link.payload).toMatchObject({ aud: "jitsi", iss: "vcs-test", sub: DOMAIN, room: s.video.roomName });
    expect(link.payload.nbf).toBe(nowSec - 60); // a minute of clock-skew allowance for the Jitsi host
    expect(link.payload.iat).toBe(nowSec); // the issue time, not nbf
    expect(link.payload.exp).toBeGreaterThanOrEqual(scheduledEndSec + 3600);
    expect(link.payload.context?.user).toEqual({ id: patient.id, name: "Patient", affiliation: "member", moderator: false });

    expect((await detail(s.id)).status).toBe("in_progress");
    // A page reload: the poll hands the admitted patient a fresh video URL for the same room.
    clock.advance(5_000);
    const rejoin = await poll(token);
    expect(rejoin.statusCode).toBe(200);
    expect(rejoin.json()).toMatchObject({ participantStatus: "admitted", sessionStatus: "in_progress" });
    const again = await verifyVideoUrl(rejoin.json().videoJoinUrl, { domain: DOMAIN, at: clock.now() });
    expect(again.payload.room).toBe(s.video.roomName);
    expect(again.payload.context?.user).toMatchObject({ id: patient.id, affiliation: "member", moderator: false });
    // And validating again after the reload takes the admitted patient straight back in.
    const revalidated = await validate(token);
    expect(revalidated.json()).toMatchObject({ destination: "direct_join" });
    expect(revalidated.json().videoJoinUrl).toBeTruthy();

    const types = (await outboxTypes(app, s.id)).map((r) => r.type);
    expect(types.filter((t) => t === "virtualcare.participant.admitted.v1")).toHaveLength(1);
    expect(types).toContain("audit.virtualcare.participant.admit");
    expect(types).toContain("audit.virtualcare.join.rejoin");
  });

  it("when a participant who never validated is admitted, then 409 PARTICIPANT_NOT_IN_WAITING_ROOM", async () => {
    const s = await createSession();
    const res = await admit(s.id, byRole(s, "patient").id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "PARTICIPANT_NOT_IN_WAITING_ROOM", currentStatus: "invited" });
    expect((await detail(s.id)).status).toBe("scheduled");
  });

  it("when two clinicians admit the same waiting patient at once, then exactly one admission succeeds", async () => {
    for (let round = 0; round < 4; round++) {
      const s = await createSession();
      const patient = byRole(s, "patient");
      await validate(await joinToken(s.id, patient.id));
      const answers = await Promise.all([admit(s.id, patient.id, clinician), admit(s.id, patient.id, otherClinician)]);
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses, answers.map((a) => a.body).join("\n")).toEqual([200, 409]);
      const loser = answers.find((a) => a.statusCode === 409)!.json();
      expect(["OPTIMISTIC_LOCK_CONFLICT", "PARTICIPANT_NOT_IN_WAITING_ROOM"]).toContain(loser.code);
      const admitted = (await outboxTypes(app, s.id)).filter((r) => r.type === "virtualcare.participant.admitted.v1");
      expect(admitted).toHaveLength(1);
    }
  });

  it("when the tenant's waiting room is off, then a patient joins directly with a member video URL", async () => {
    await configureTenant(app, "clinic-open", { waitingRoomEnabled: false });
    const s = await createSession(await staffToken("clinic-open", ["scheduler"]));
    const patient = byRole(s, "patient");
    const issued = await issue(s.id, patient.id, await staffToken("clinic-open", ["scheduler"]));
    const res = await validate(issued.json().token);
    expect(res.json()).toMatchObject({ destination: "direct_join", role: "patient" });
    const link = await verifyVideoUrl(res.json().videoJoinUrl, { domain: DOMAIN, at: clock.now() });
    expect(link.payload.context?.user).toMatchObject({ affiliation: "member", moderator: false });
  });

  it("when a participant is removed, then every use of its token answers 403 PARTICIPANT_REMOVED", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    await validate(token);
    const removed = await app.request({ method: "DELETE", url: `/v1/sessions/${s.id}/participants/${patient.id}`, token: clinician });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({ id: patient.id, status: "removed", removedAt: clock.now().toISOString() });
    const answers = [
      await validate(token),
      await poll(token),
      await app.request({ method: "POST", url: "/v1/join/bandwidth", headers: { "x-join-token": token }, body: { kbps: 10 } }),
      await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${patient.id}/join-token`, headers: { "x-join-token": token } }),
      await issue(s.id, patient.id),
    ];
    for (const a of answers) {
      expect(a.statusCode, a.body).toBe(403);
      expect(a.json().code).toBe("PARTICIPANT_REMOVED");
    }
    // Contract §4: admitting anyone not waiting is 409, with the status that explains why.
    const admitted = await admit(s.id, patient.id);
    expect(admitted.statusCode).toBe(409);
    expect(admitted.json()).toMatchObject({ code: "PARTICIPANT_NOT_IN_WAITING_ROOM", currentStatus: "removed" });
    const types = (await outboxTypes(app, s.id)).map((r) => r.type);
    expect(types.filter((t) => t === "virtualcare.participant.removed.v1")).toHaveLength(1);
    const again = await app.request({ method: "DELETE", url: `/v1/sessions/${s.id}/participants/${patient.id}`, token: clinician });
    expect(again.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "removed" });
  });

  it("when a session is ended or cancelled, then its tokens answer 409 INVALID_STATUS_TRANSITION with the status", async () => {
    const ended = await createSession();
    const endedToken = await joinToken(ended.id, byRole(ended, "patient").id);
    await validate(await joinToken(ended.id, byRole(ended, "clinician").id));
    expect((await app.request({ method: "POST", url: `/v1/sessions/${ended.id}/end`, token: clinician })).statusCode).toBe(200);

    const cancelled = await createSession();
    const cancelledToken = await joinToken(cancelled.id, byRole(cancelled, "patient").id);
    await validate(cancelledToken); // waiting when the clinic cancels
    await app.request({ method: "POST", url: `/v1/sessions/${cancelled.id}/cancel`, token: scheduler, body: { reason: "clinician ill" } });

    for (const [token, status] of [
      [endedToken, "ended"],
      [cancelledToken, "cancelled"],
    ] as const) {
      for (const res of [await validate(token), await poll(token)]) {
        expect(res.statusCode, res.body).toBe(409);
        expect(res.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: status });
      }
    }
    expect((await issue(cancelled.id, byRole(cancelled, "patient").id)).json()).toMatchObject({ currentStatus: "cancelled" });
  });

  it("when a session is in fallback, then nobody joins the video but the poll tells the patient", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    await validate(token);
    await app.request({ method: "POST", url: `/v1/sessions/${s.id}/fallback`, token: clinician, body: { reason: "bridge overloaded" } });
    const status = await poll(token);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ participantStatus: "waiting", sessionStatus: "fallback" });
    expect(status.json().videoJoinUrl).toBeUndefined();
    expect((await admit(s.id, patient.id)).json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "fallback" });
    expect((await validate(token)).json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "fallback" });
  });

  it("when a session is at the tenant's maxParticipants, then adding one more is 422 until someone is removed", async () => {
    await configureTenant(app, "clinic-small", { maxParticipants: 3 });
    const admin = await staffToken("clinic-small", ["admin"]);
    const s = await createSession(admin, { participants: [{ role: "interpreter", displayName: "Ana" }] });
    const add = () =>
      app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants`, token: admin, body: { role: "guest", displayName: "Guest" } });
    const full = await add();
    expect(full.statusCode).toBe(422);
    expect(full.json().code).toBe("MAX_PARTICIPANTS_EXCEEDED");
    await app.request({ method: "DELETE", url: `/v1/sessions/${s.id}/participants/${byRole(s, "interpreter").id}`, token: admin });
    expect((await add()).statusCode).toBe(201);
    expect((await add()).statusCode).toBe(422);
  });

  it("when a participant refreshes its own valid token, then it gets a new one, but never another participant's", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    clock.advance(600_000);
    const refresh = (pid: string) =>
      app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, headers: { "x-join-token": token } });
    const res = await refresh(patient.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().expiresAt).toBe(new Date(clock.now().getTime() + 900_000).toISOString());
    expect((await poll(res.json().token)).statusCode).toBe(200);
    const stolen = await refresh(byRole(s, "clinician").id);
    expect(stolen.statusCode).toBe(403);
    expect(stolen.json().code).toBe("FORBIDDEN");
  });

  it("when staff of another tenant use this tenant's ids, then 404, and a scheduler may not admit or remove", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    await validate(await joinToken(s.id, patient.id));
    const outsider = await staffToken("clinic-b", ["clinician", "scheduler", "admin"]);
    const base = `/v1/sessions/${s.id}/participants/${patient.id}`;
    for (const [method, url] of [
      ["POST", `${base}/admit`],
      ["DELETE", base],
      ["POST", `${base}/join-token`],
    ] as const) {
      const res = await app.request({ method, url, token: outsider });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe("NOT_FOUND");
      const byScheduler = await app.request({ method, url, token: scheduler });
      if (!url.endsWith("join-token")) expect(byScheduler.json().code).toBe("FORBIDDEN");
    }
    expect(byRole(await detail(s.id), "patient").status).toBe("waiting");
  });

  it("when a waiting patient polls, then the answer is one read (in its tenant's transaction: three round trips) and writes no audit row", async () => {
    const s = await createSession();
    const patient = byRole(s, "patient");
    const token = await joinToken(s.id, patient.id);
    await validate(token);
    const pool = app.service.database.pool!;
    // Every statement of a checked-out connection, counted while it is out.
    let transactions = 0;
    let roundTrips = 0;
    const originals = new Map<pg.PoolClient, pg.PoolClient["query"]>();
    const onAcquire = (client: pg.PoolClient) => {
      transactions += 1;
      const original = client.query;
      originals.set(client, original);
      client.query = ((...args: unknown[]) => {
        roundTrips += 1;
        return (original as (...a: unknown[]) => unknown).apply(client, args);
      }) as pg.PoolClient["query"];
    };
    const onRelease = (_err: Error | undefined, client: pg.PoolClient) => {
      const original = originals.get(client);
      if (original) client.query = original;
      originals.delete(client);
    };
    const before = (await outboxTypes(app, s.id)).length;
    pool.on("acquire", onAcquire);
    pool.on("release", onRelease);
    try {
      for (let i = 0; i < 5; i++) expect((await poll(token)).statusCode).toBe(200);
    } finally {
      pool.off("acquire", onAcquire);
      pool.off("release", onRelease);
    }
    // BEGIN with the tenant setting, the read, COMMIT (tenant-scope.ts).
    expect(transactions).toBe(5);
    expect(roundTrips).toBe(15);
    expect((await outboxTypes(app, s.id)).length).toBe(before);
  });
});
