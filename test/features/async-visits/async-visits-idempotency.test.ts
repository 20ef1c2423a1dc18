import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { multipartBody, samples } from "../../support/multipart.js";

/** A phone's offline queue resends what it could not confirm: the Idempotency-Key keeps it to one visit. */
describe("async visits with an Idempotency-Key (patient path)", () => {
  let app: TestApp;
  let staff: string;
  let joinToken: string;
  let sessionId: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-idem");
    staff = await staffToken("clinic-idem", ["clinician"]);
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody({ patientId: "pat-idem", providerId: "dr-idem", ...soon() }) })).json();
    sessionId = s.id;
    const patient = s.participants.find((p: { role: string }) => p.role === "patient");
    joinToken = (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${patient.id}/join-token`, token: staff })).json().token;
  });
  afterAll(() => app.close());

  const submit = async (key: string | undefined, text: string) => {
    const { payload, contentType } = await multipartBody({ text }, [{ filename: "rash.png", type: "image/png", data: samples.png }]);
    return app.service.app.inject({
      method: "POST",
      url: "/v1/async-visits",
      headers: { "x-join-token": joinToken, "content-type": contentType, ...(key ? { "idempotency-key": key } : {}) },
      payload,
    });
  };
  const stored = async () => (await app.owner.query("select id from async_visits where session_id = $1", [sessionId])).rows.length;

  it("when the same submission arrives twice, or twice at once, with one key, then one visit is stored and both answers name it", async () => {
    const first = await submit("k-1", "rash on the arm");
    const again = await submit("k-1", "rash on the arm");
    expect(first.statusCode, first.body).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(first.json().id);
    const [a, b] = await Promise.all([submit("k-2", "follow-up"), submit("k-2", "follow-up")]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json().id).toBe(b.json().id);
    expect(await stored()).toBe(2);
  });

  it("when a key is reused for other content, then 422 IDEMPOTENCY_KEY_REUSED and nothing more is stored", async () => {
    const before = await stored();
    const res = await submit("k-1", "something else");
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await stored()).toBe(before);
  });
});

/** A visit an hour from now: patients may send async visits only around the visit's time. */
function soon(): { scheduledStart: string; scheduledEnd: string } {
  const start = Date.now() + 3_600_000;
  return { scheduledStart: new Date(start).toISOString(), scheduledEnd: new Date(start + 1_800_000).toISOString() };
}
