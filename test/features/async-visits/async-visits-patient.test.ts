import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { multipartBody, samples } from "../../support/multipart.js";

describe("async visits sent by the patient with a join token", () => {
  const clock = new ManualClock(new Date("2026-12-01T09:00:00Z"));
  let app: TestApp;
  let staff: string;

  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "clinic-pav", { joinTokenTtlSeconds: 600 });
    staff = await staffToken("clinic-pav", ["clinician", "scheduler"]);
  });
  afterAll(() => app.close());

  const newSession = async (extra: Record<string, unknown> = {}) => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody({ patientId: "pat-pav", providerId: "dr-pav", ...extra }) });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; participants: Array<{ id: string; role: string }> };
  };
  const tokenFor = async (sessionId: string, participantId: string) => {
    const res = await app.request({ method: "POST", url: `/v1/sessions/${sessionId}/participants/${participantId}/join-token`, token: staff });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().token as string;
  };
  const submit = async (joinToken: string, text = "The swelling went down, photo attached.") => {
    const { payload, contentType } = await multipartBody({ text }, [{ filename: "knee.png", type: "image/png", data: samples.png }]);
    return app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { "x-join-token": joinToken, "content-type": contentType }, payload });
  };
  const visitsOf = async (sessionId: string) =>
    (await app.owner.query("select patient_id, provider_id from async_visits where session_id = $1", [sessionId])).rows;

  it("when the patient sends one with their join token, then it is stored for the session's patient and provider", async () => {
    const s = await newSession();
    const patient = s.participants.find((p) => p.role === "patient")!;
    const res = await submit(await tokenFor(s.id, patient.id));
    expect(res.statusCode, res.body).toBe(201);
    expect(await visitsOf(s.id)).toEqual([{ patient_id: "pat-pav", provider_id: "dr-pav" }]);
  });

  it("when the visit fell back to async messaging, then the patient can still send (that is what fallback is for)", async () => {
    const s = await newSession();
    await app.request({ method: "POST", url: `/v1/sessions/${s.id}/fallback`, token: staff, body: { reason: "poor connection" } });
    const patient = s.participants.find((p) => p.role === "patient")!;
    expect((await submit(await tokenFor(s.id, patient.id))).statusCode).toBe(201);
  });

  it("when the token is tampered with or expired, then 401 and nothing is stored", async () => {
    const s = await newSession();
    const patient = s.participants.find((p) => p.role === "patient")!;
    const token = await tokenFor(s.id, patient.id);
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    expect((await submit(tampered)).json().code).toBe("TOKEN_INVALID");
    clock.advance(601_000);
    const expired = await submit(token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe("TOKEN_EXPIRED");
    clock.advance(-601_000);
    expect(await visitsOf(s.id)).toEqual([]);
  });

  it("when the clinician's own join token is used, then 403: only the patient or a caregiver sends async visits", async () => {
    const s = await newSession();
    const clinician = s.participants.find((p) => p.role === "clinician")!;
    const res = await submit(await tokenFor(s.id, clinician.id));
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("FORBIDDEN");
  });

  it("when the patient was removed or the visit was cancelled, then 403 or 409 and nothing is stored", async () => {
    const removed = await newSession();
    const p1 = removed.participants.find((p) => p.role === "patient")!;
    const t1 = await tokenFor(removed.id, p1.id);
    await app.request({ method: "DELETE", url: `/v1/sessions/${removed.id}/participants/${p1.id}`, token: staff });
    expect((await submit(t1)).json().code).toBe("PARTICIPANT_REMOVED");

    const cancelled = await newSession();
    const p2 = cancelled.participants.find((p) => p.role === "patient")!;
    const t2 = await tokenFor(cancelled.id, p2.id);
    await app.request({ method: "POST", url: `/v1/sessions/${cancelled.id}/cancel`, token: staff, body: { reason: "clinic closed" } });
    const res = await submit(t2);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "cancelled" });
    expect([...(await visitsOf(removed.id)), ...(await visitsOf(cancelled.id))]).toEqual([]);
  });
});
