import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { multipartBody, samples } from "../../support/multipart.js";

/** Issue 19, item 5: the clinician answers a written visit; the patient reads what they sent and the answers. */
describe("written visits, two-way: replies and the patient's own read", () => {
  const clock = new ManualClock(new Date("2026-12-02T09:00:00Z"));
  let app: TestApp;
  let clinician: string;
  let scheduler: string;
  let admin: string;
  let otherTenantClinician: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "clinic-rep", { joinTokenTtlSeconds: 3600 });
    await configureTenant(app, "clinic-rep-other");
    clinician = await staffToken("clinic-rep", ["clinician"], "dr-rep");
    scheduler = await staffToken("clinic-rep", ["scheduler"]);
    admin = await staffToken("clinic-rep", ["admin"]);
    otherTenantClinician = await staffToken("clinic-rep-other", ["clinician"], "dr-other");
  });
  afterAll(() => app.close());

  const newSession = async (patientId = "pat-rep") => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId, providerId: "dr-rep", participants: [{ role: "caregiver", displayName: "Carer" }] }) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; participants: Array<{ id: string; role: string }> };
  };
  const tokenFor = async (sessionId: string, role: string, s: { participants: Array<{ id: string; role: string }> }) => {
    const p = s.participants.find((x) => x.role === role)!;
    const res = await app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${p.id}/join-token`, token: clinician });
    expect(res.statusCode, res.body).toBe(200);
    return { token: res.json().token as string, participantId: p.id };
  };
  const submit = async (joinToken: string, text: string) => {
    const { payload, contentType } = await multipartBody({ text }, [{ filename: "rash.png", type: "image/png", data: samples.png }]);
    const res = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { "x-join-token": joinToken, "content-type": contentType }, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const reply = (visitId: string, body: unknown, token = clinician, headers: Record<string, string> = {}) =>
    app.request({ method: "POST", url: `/v1/async-visits/${visitId}/replies`, token, body, headers });
  const own = (joinToken: string) => app.request({ method: "GET", url: "/v1/join/async-visits", headers: { "x-join-token": joinToken } });

  it("when the clinician replies, then the reply is stored, shown in the inbox, announced with ids only and audited", async () => {
    const s = await newSession();
    const patient = await tokenFor(s.id, "patient", s);
    const visitId = await submit(patient.token, "The rash spread to my arm.");
    clock.advance(60_000);

    const res = await reply(visitId, { text: "  Please send a photo tomorrow morning.  " });
    expect(res.statusCode, res.body).toBe(201);
    const answer = res.json();
    expect(answer).toEqual({ id: expect.any(String), asyncVisitId: visitId, text: "Please send a photo tomorrow morning.", authorId: "dr-rep", repliedAt: "2026-12-02T09:01:00.000Z" });

    // The inbox (pending list) carries the reply with the visit.
    const inbox = (await app.request({ method: "GET", url: "/v1/async-visits", token: clinician })).json().items;
    expect(inbox.find((v: { id: string }) => v.id === visitId).replies).toEqual([{ id: answer.id, text: answer.text, authorId: "dr-rep", repliedAt: answer.repliedAt }]);

    const events = await app.owner.query("select data, aggregate_id from virtual_care_outbox where type = 'virtualcare.async_visit.replied.v1' and aggregate_id = $1", [visitId]);
    expect(events.rows).toEqual([
      {
        aggregate_id: visitId,
        data: {
          asyncVisitId: visitId,
          replyId: answer.id,
          patientId: "pat-rep",
          providerId: "dr-rep",
          sessionId: s.id,
          submittedBy: { kind: "participant", id: patient.participantId },
          repliedBy: "dr-rep",
          repliedAt: "2026-12-02T09:01:00.000Z",
        },
      },
    ]);
    const audit = await app.owner.query("select data from virtual_care_outbox where type = 'audit.virtualcare.async_visit.reply' and data->'targets'->>'asyncVisitId' = $1", [visitId]);
    expect(audit.rows.map((r) => r.data)).toEqual([expect.objectContaining({ outcome: "success", targets: { asyncVisitId: visitId, replyId: answer.id }, actor: { kind: "staff", id: "dr-rep" } })]);
    // No clinical text in any event or audit row about this visit.
    const texts = await app.owner.query("select data::text as d from virtual_care_outbox where data::text like '%' || $1 || '%'", [visitId]);
    for (const r of texts.rows) expect(r.d).not.toMatch(/photo tomorrow|rash spread/);
    // The version moved with the reply (the optimistic lock guards the visit).
    expect((await app.owner.query("select version from async_visits where id = $1", [visitId])).rows[0].version).toBe(2);
  });

  it("when a scheduler or an admin replies, then 403 and nothing is stored; a reply after review is still allowed", async () => {
    const s = await newSession();
    const visitId = await submit((await tokenFor(s.id, "patient", s)).token, "Can I take ibuprofen?");
    for (const token of [scheduler, admin]) {
      const res = await reply(visitId, { text: "yes" }, token);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe("FORBIDDEN");
    }
    expect((await app.owner.query("select count(*)::int as n from async_visit_replies where visit_id = $1", [visitId])).rows[0].n).toBe(0);
    const denied = await app.owner.query("select count(*)::int as n from virtual_care_outbox where type = 'audit.virtualcare.async_visit.reply' and data->>'outcome' = 'denied' and data->'targets'->>'asyncVisitId' = $1", [visitId]);
    expect(denied.rows[0].n).toBe(2);

    expect((await app.request({ method: "POST", url: `/v1/async-visits/${visitId}/review`, token: clinician })).statusCode).toBe(200);
    expect((await reply(visitId, { text: "Yes, with food, up to three times a day." })).statusCode).toBe(201);
  });

  it("when another tenant's clinician replies to this visit, or the id is unknown, then 404 and nothing is stored", async () => {
    const s = await newSession();
    const visitId = await submit((await tokenFor(s.id, "patient", s)).token, "My fever is back.");
    const foreign = await reply(visitId, { text: "hello" }, otherTenantClinician);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe("NOT_FOUND");
    expect((await reply("00000000-0000-4000-8000-000000000000", { text: "hello" })).statusCode).toBe(404);
    expect((await app.owner.query("select count(*)::int as n from async_visit_replies where visit_id = $1", [visitId])).rows[0].n).toBe(0);
  });

  it("when the reply is empty, blank, too long or has other fields, then 400 VALIDATION_FAILED", async () => {
    const s = await newSession();
    const visitId = await submit((await tokenFor(s.id, "patient", s)).token, "Question about my dose.");
    for (const body of [{}, { text: "" }, { text: "   \n " }, { text: "x".repeat(5001) }, { text: "ok", extra: 1 }]) {
      const res = await reply(visitId, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
    }
    expect((await reply("not-a-uuid", { text: "ok" })).statusCode).toBe(400);
    expect((await app.owner.query("select count(*)::int as n from async_visit_replies where visit_id = $1", [visitId])).rows[0].n).toBe(0);
  });

  it("when the same reply is resent with its Idempotency-Key, then the first answer comes back and one reply is stored; other text under that key is refused", async () => {
    const s = await newSession();
    const visitId = await submit((await tokenFor(s.id, "patient", s)).token, "Is the swelling normal?");
    const headers = { "idempotency-key": "reply-1" };
    const [a, b] = await Promise.all([reply(visitId, { text: "Yes, for two days." }, clinician, headers), reply(visitId, { text: "Yes, for two days." }, clinician, headers)]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.json()).toEqual(a.json());
    const again = await reply(visitId, { text: "Something else" }, clinician, headers);
    expect(again.statusCode).toBe(422);
    expect(again.json().code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect((await app.owner.query("select count(*)::int as n from async_visit_replies where visit_id = $1", [visitId])).rows[0].n).toBe(1);
    expect((await app.owner.query("select count(*)::int as n from virtual_care_outbox where type = 'virtualcare.async_visit.replied.v1' and aggregate_id = $1", [visitId])).rows[0].n).toBe(1);
  });

  it("when two clinicians reply at once, then both replies are kept (no lost update, no 409)", async () => {
    const s = await newSession();
    const visitId = await submit((await tokenFor(s.id, "patient", s)).token, "Two questions.");
    const other = await staffToken("clinic-rep", ["clinician"], "dr-two");
    const results = await Promise.all([reply(visitId, { text: "First answer." }), reply(visitId, { text: "Second answer." }, other)]);
    expect(results.map((r) => r.statusCode)).toEqual([201, 201]);
    const rows = (await app.owner.query("select text from async_visit_replies where visit_id = $1 order by text", [visitId])).rows;
    expect(rows.map((r) => r.text)).toEqual(["First answer.", "Second answer."]);
    expect((await app.owner.query("select version from async_visits where id = $1", [visitId])).rows[0].version).toBe(3);
  });

  it("when the patient opens their link again, then they read what they sent and the replies; never another participant's or another visit's", async () => {
    const s = await newSession();
    const patient = await tokenFor(s.id, "patient", s);
    const caregiver = await tokenFor(s.id, "caregiver", s);
    const sentAt = clock.now().toISOString();
    const first = await submit(patient.token, "First message from the patient.");
    clock.advance(1000);
    const second = await submit(patient.token, "Second message from the patient.");
    const theirs = await submit(caregiver.token, "The caregiver's own note.");
    // The same patient on another visit: not on this link.
    const elsewhere = await newSession();
    const elsewhereVisit = await submit((await tokenFor(elsewhere.id, "patient", elsewhere)).token, "On another visit.");
    clock.advance(1000);
    const answer = (await reply(first, { text: "Answer to the first." })).json();

    const res = await own(patient.token);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((v: { id: string }) => v.id)).toEqual([second, first]);
    expect(items[1]).toEqual({
      id: first,
      status: "submitted",
      text: "First message from the patient.",
      attachments: [{ filename: "rash.png", contentType: "image/png", sizeBytes: samples.png.length }],
      submittedAt: sentAt,
      replies: [{ id: answer.id, text: "Answer to the first.", repliedAt: answer.repliedAt }],
    });
    // No staff ids reach the patient.
    expect(res.body).not.toContain("dr-rep");
    const ids = JSON.stringify(items);
    for (const other of [theirs, elsewhereVisit]) expect(ids).not.toContain(other);
    expect((await own(caregiver.token)).json().items.map((v: { id: string }) => v.id)).toEqual([theirs]);

    const audit = await app.owner.query("select data from virtual_care_outbox where type = 'audit.virtualcare.async_visit.list_own' and data->'targets'->>'participantId' = $1", [patient.participantId]);
    expect(audit.rows.map((r) => r.data)).toEqual([expect.objectContaining({ outcome: "success", actor: { kind: "participant", id: patient.participantId }, targets: { sessionId: s.id, participantId: patient.participantId } })]);
  });

  it("when the link is missing, tampered with, expired, or its holder was removed, then the read refuses (401/403) and shows nothing", async () => {
    const s = await newSession();
    const patient = await tokenFor(s.id, "patient", s);
    await submit(patient.token, "Something private.");
    expect((await app.request({ method: "GET", url: "/v1/join/async-visits" })).statusCode).toBe(401);
    const tampered = patient.token.slice(0, -2) + (patient.token.endsWith("AA") ? "BB" : "AA");
    expect((await own(tampered)).json().code).toBe("TOKEN_INVALID");
    // A staff bearer token is not a link: this read is the patient's.
    expect((await app.request({ method: "GET", url: "/v1/join/async-visits", token: clinician })).statusCode).toBe(401);
    clock.advance(3601_000);
    const expired = await own(patient.token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe("TOKEN_EXPIRED");
    clock.advance(-3601_000);
    await app.request({ method: "DELETE", url: `/v1/sessions/${s.id}/participants/${patient.participantId}`, token: clinician });
    const removed = await own(patient.token);
    expect(removed.statusCode).toBe(403);
    expect(removed.json().code).toBe("PARTICIPANT_REMOVED");
    expect(removed.body).not.toContain("Something private");
  });
});
