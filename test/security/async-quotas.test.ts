import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";

/** Issue 11, defect 6: a patient's join token must not be able to fill the database. */
describe("async visit quotas and submission window (PostgreSQL)", () => {
  const clock = new ManualClock(new Date("2026-12-01T09:00:00Z"));
  let app: TestApp;
  let staff: string;
  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "quota", { joinTokenTtlSeconds: 86400 });
    staff = await staffToken("quota", ["clinician", "scheduler"]);
  });
  afterAll(() => app.close());

  const patientToken = async (body = sessionBody()) => {
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: staff, body })).json();
    const pid = s.participants.find((p: { role: string }) => p.role === "patient").id;
    return (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: staff })).json().token as string;
  };
  /** A PNG padded to `bytes` (the type is recognised from its first bytes). */
  const png = (bytes: number) => Buffer.concat([samples.png, Buffer.alloc(Math.max(0, bytes - samples.png.length))]);
  const submit = async (token: string, files: Buffer[]) => {
    const { payload, contentType } = await multipartBody({ text: "photo" }, files.map((data, i) => ({ filename: `p${i}.png`, type: "image/png", data })));
    return app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { "x-join-token": token, "content-type": contentType }, payload });
  };
  const storedBytes = async () => Number((await app.owner.query("select coalesce(sum(size_bytes),0) n from async_visit_attachments")).rows[0].n);

  it("one participant's token stores at most 3 submissions and 30 MB, then 429 QUOTA_EXCEEDED", async () => {
    const token = await patientToken();
    const before = await storedBytes();
    const four = [png(4_900_000), png(4_900_000), png(4_900_000), png(4_900_000), png(4_900_000)];
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await submit(token, four));
    expect(answers[0]!.statusCode, answers[0]!.body).toBe(201);
    expect(answers.slice(1).map((r) => r.statusCode)).toEqual([429, 429, 429]); // a second 24.5 MB would pass 30 MB
    expect(answers[1]!.json().code).toBe("QUOTA_EXCEEDED");
    expect((await storedBytes()) - before).toBeLessThanOrEqual(30 * 1024 * 1024);
  });

  it("small submissions stop after the third", async () => {
    const token = await patientToken();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await submit(token, [png(1000)])).statusCode);
    expect(codes).toEqual([201, 201, 201, 429]);
  });

  it("a token for a visit a week away cannot submit yet (403)", async () => {
    const token = await patientToken(sessionBody({ scheduledStart: "2026-12-08T10:00:00.000Z", scheduledEnd: "2026-12-08T10:30:00.000Z" }));
    const res = await submit(token, [png(1000)]);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("FORBIDDEN");
  });
});
