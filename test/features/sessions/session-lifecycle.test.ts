import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

describe("session lifecycle over HTTP (PostgreSQL)", () => {
  let app: TestApp;
  let clinician: string;
  let scheduler: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-a");
    clinician = await staffToken("clinic-a", ["clinician"]);
    scheduler = await staffToken("clinic-a", ["scheduler"]);
  });
  afterAll(() => app.close());

  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody(overrides) });
    expect(res.statusCode, res.body).toBe(201);
    return res;
  };

  it("when a scheduler creates a session, then it is scheduled at version 1 with patient and clinician invited", async () => {
    const res = await create({ participants: [{ role: "interpreter", displayName: "Ana (interpreter)" }] });
    const s = res.json();
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/sessions/${s.id}`);
    expect(s).toMatchObject({
      tenantId: "clinic-a",
      status: "scheduled",
      patientId: "patient-1",
      providerId: "dr-1",
      version: 1,
      encounterId: null,
      video: { backend: "primary", provider: "jitsi", domain: "primary.meet.example.org" },
    });
    expect(s.participants.map((p: { role: string; externalId: string | null; status: string }) => [p.role, p.externalId, p.status])).toEqual([
      ["patient", "patient-1", "invited"],
      ["clinician", "dr-1", "invited"],
      ["interpreter", null, "invited"],
    ]);
    // ≥128 bits of randomness in the room name.
    expect(s.video.roomName).toMatch(/^vc-[0-9a-f]{40}$/);
  });

  it("when a session is read back, then detail, participants and ETag match what was created", async () => {
    const created = (await create()).json();
    const detail = await app.request({ method: "GET", url: `/v1/sessions/${created.id}`, token: clinician });
    expect(detail.statusCode).toBe(200);
    expect(detail.headers.etag).toBe('"1"');
    expect(detail.json()).toEqual(created);
    const people = await app.request({ method: "GET", url: `/v1/sessions/${created.id}/participants`, token: clinician });
    expect(people.json().items).toEqual(created.participants);
  });

  it("when a scheduled session is cancelled with a reason, then it is cancelled and final", async () => {
    const s = (await create()).json();
    const res = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/cancel`, token: scheduler, body: { reason: "patient unwell" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "cancelled", cancelReason: "patient unwell", version: 2 });
    const again = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/cancel`, token: scheduler, body: { reason: "x" } });
    expect(again.statusCode).toBe(409);
    expect(again.headers["content-type"]).toContain("application/problem+json");
    expect(again.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "cancelled", status: 409 });
  });

  it("when cancel has no reason, then 400 VALIDATION_FAILED names the field", async () => {
    const s = (await create()).json();
    const res = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/cancel`, token: scheduler, body: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(res.json().errors)).toContain("reason");
  });

  it("when a scheduled session falls back and then ends, then billing data is recorded and fallback is kept", async () => {
    const s = (await create()).json();
    const fb = await app.request({
      method: "POST",
      url: `/v1/sessions/${s.id}/fallback`,
      token: clinician,
      body: { reason: "patient bandwidth too low", measuredKbps: 90 },
    });
    expect(fb.statusCode).toBe(200);
    expect(fb.json()).toMatchObject({ status: "fallback", fallback: { reason: "patient bandwidth too low", measuredKbps: 90 } });
    const end = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/end`, token: clinician });
    expect(end.statusCode).toBe(200);
    // Version 3 is the end itself; the Encounter saga's link (inline, FHIR is up) is one more change.
    expect(end.json()).toMatchObject({ status: "ended", version: 4 });
    expect(end.json().encounterId).not.toBeNull();
    expect(end.json().endedAt).not.toBeNull();
  });

  it("when a scheduled session is ended before anyone joined, then 409 with the current status", async () => {
    const s = (await create()).json();
    const res = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/end`, token: clinician });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "scheduled" });
  });

  it("when a scheduler tries to end or fall back, then 403 FORBIDDEN (role table)", async () => {
    const s = (await create()).json();
    for (const path of ["end", "fallback"]) {
      const res = await app.request({ method: "POST", url: `/v1/sessions/${s.id}/${path}`, token: scheduler, body: { reason: "r" } });
      expect(res.statusCode, path).toBe(403);
      expect(res.json().code).toBe("FORBIDDEN");
    }
  });

  it("when sessions are created, cancelled and ended, then the matching events sit in the outbox with ids only", async () => {
    const pool = app.owner;
    const events = async (id: string) =>
      (await pool.query("select type, data from virtual_care_outbox where aggregate_id = $1 and aggregate_type = 'session' order by seq", [id])).rows;
    const cancelled = (await create()).json();
    await app.request({ method: "POST", url: `/v1/sessions/${cancelled.id}/cancel`, token: scheduler, body: { reason: "clinic closed" } });
    const c = await events(cancelled.id);
    expect(c.map((e) => e.type)).toEqual(["virtualcare.session.created.v1", "virtualcare.session.cancelled.v1"]);
    expect(c[1].data).toMatchObject({ sessionId: cancelled.id, reason: "clinic closed" });
    expect(c[1].data.participants.map((p: { role: string }) => p.role)).toEqual(["patient", "clinician"]);
    expect(JSON.stringify(c)).not.toContain("displayName");

    const ended = (await create()).json();
    await app.request({ method: "POST", url: `/v1/sessions/${ended.id}/fallback`, token: clinician, body: { reason: "slow" } });
    await app.request({ method: "POST", url: `/v1/sessions/${ended.id}/end`, token: clinician });
    const e = await events(ended.id);
    expect(e.map((x) => x.type)).toEqual([
      "virtualcare.session.created.v1",
      "virtualcare.session.fallback_initiated.v1",
      "virtualcare.session.ended.v1",
      "virtualcare.billing.session_completed.v1",
    ]);
    expect(e[3].data).toMatchObject({ sessionId: ended.id, patientId: "patient-1", providerId: "dr-1", durationSeconds: expect.any(Number) });
  });
});
