import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { multipartBody, samples } from "../../support/multipart.js";

describe("async visits (store-and-forward)", () => {
  let app: TestApp;
  let scheduler: string;
  let clinician: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-av");
    scheduler = await staffToken("clinic-av", ["scheduler"]);
    clinician = await staffToken("clinic-av", ["clinician"], "dr-av-user");
  });
  afterAll(() => app.close());

  type File = { filename: string; type: string; data: Uint8Array };
  const submit = async (fields: Record<string, string>, files: File[] = [], token = scheduler) => {
    const { payload, contentType } = await multipartBody(fields, files);
    return app.service.app.inject({
      method: "POST",
      url: "/v1/async-visits",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType },
      payload,
    });
  };
  const parties = { patientId: "pat-av", providerId: "dr-av" };
  const stored = async () => {
    const q = (sql: string) => app.owner.query(sql).then((r) => Number(r.rows[0].count));
    return {
      visits: await q("select count(*) from async_visits"),
      attachments: await q("select count(*) from async_visit_attachments"),
      queued: await q("select count(*) from async_visit_queue"),
      announced: await q("select count(*) from virtual_care_outbox where type = 'virtualcare.async_visit.submitted.v1'"),
    };
  };
  const expectRefused = async (res: Awaited<ReturnType<typeof submit>>, status: number, code: string, before: Awaited<ReturnType<typeof stored>>) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ status, code });
    expect(await stored()).toEqual(before);
  };

  it("when a valid visit with a photo, a scan and a PDF is submitted, then it is stored, queued for the provider and announced without its text", async () => {
    const text = "Rash on my left arm since Tuesday, photos attached.";
    const res = await submit({ ...parties, text }, [
      { filename: "arm.jpg", type: "image/jpeg", data: samples.jpeg },
      { filename: "arm-close.png", type: "image/png", data: samples.png },
      { filename: "lab-result.pdf", type: "application/pdf", data: samples.pdf },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const { id, status } = res.json();
    expect(status).toBe("submitted");

    const pool = app.owner;
    const files = await pool.query("select content_type, filename, size_bytes from async_visit_attachments where visit_id = $1 order by position", [id]);
    expect(files.rows).toEqual([
      { content_type: "image/jpeg", filename: "arm.jpg", size_bytes: samples.jpeg.length },
      { content_type: "image/png", filename: "arm-close.png", size_bytes: samples.png.length },
      { content_type: "application/pdf", filename: "lab-result.pdf", size_bytes: samples.pdf.length },
    ]);
    expect((await pool.query("select provider_id from async_visit_queue where visit_id = $1", [id])).rows).toEqual([{ provider_id: "dr-av" }]);
    const events = await pool.query("select data from virtual_care_outbox where type = 'virtualcare.async_visit.submitted.v1' and aggregate_id = $1", [id]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].data).toMatchObject({ asyncVisitId: id, patientId: "pat-av", providerId: "dr-av", attachmentCount: 3 });
    expect(JSON.stringify(events.rows[0].data)).not.toContain("Rash");

    // The provider finds it in the work list, opens a photo and marks it reviewed.
    const list = await app.request({ method: "GET", url: "/v1/async-visits?providerId=dr-av", token: clinician });
    expect(list.statusCode).toBe(200);
    const item = list.json().items.find((v: { id: string }) => v.id === id);
    expect(item).toMatchObject({ text, status: "submitted", patientId: "pat-av", submittedBy: { kind: "staff" } });
    const photo = await app.request({ method: "GET", url: `/v1/async-visits/${id}/attachments/${item.attachments[1].id}`, token: clinician });
    expect(photo.headers["content-type"]).toBe("image/png");
    expect(photo.rawPayload.equals(samples.png)).toBe(true);

    const reviewed = await app.request({ method: "POST", url: `/v1/async-visits/${id}/review`, token: clinician });
    expect(reviewed.json()).toMatchObject({ status: "reviewed", reviewedBy: "dr-av-user" });
    const after = await app.request({ method: "GET", url: "/v1/async-visits?providerId=dr-av", token: clinician });
    expect(after.json().items.map((v: { id: string }) => v.id)).not.toContain(id);
    const again = await app.request({ method: "POST", url: `/v1/async-visits/${id}/review`, token: clinician });
    expect(again.statusCode).toBe(409);
  });

  it("when an attachment is larger than 5 MB, then 413 PAYLOAD_TOO_LARGE and nothing is stored", async () => {
    const before = await stored();
    const big = Buffer.concat([samples.png, Buffer.alloc(5 * 1024 * 1024)]);
    await expectRefused(await submit({ ...parties, text: "big" }, [{ filename: "big.png", type: "image/png", data: big }]), 413, "PAYLOAD_TOO_LARGE", before);
  });

  it("when six attachments are sent, then 400 VALIDATION_FAILED and nothing is stored", async () => {
    const before = await stored();
    const six = Array.from({ length: 6 }, (_, i) => ({ filename: `p${i}.png`, type: "image/png", data: samples.png }));
    await expectRefused(await submit({ ...parties, text: "six" }, six), 400, "VALIDATION_FAILED", before);
  });

  it("when a PDF is named .png, or an executable .pdf, then 400 VALIDATION_FAILED and nothing is stored", async () => {
    const before = await stored();
    const pdfAsPng = await submit({ ...parties, text: "x" }, [{ filename: "photo.png", type: "image/png", data: samples.pdf }]);
    await expectRefused(pdfAsPng, 400, "VALIDATION_FAILED", before);
    expect(JSON.stringify(pdfAsPng.json().errors)).toContain("application/pdf");
    const exeAsPdf = await submit({ ...parties, text: "x" }, [
      { filename: "ok.png", type: "image/png", data: samples.png },
      { filename: "invoice.pdf", type: "application/pdf", data: samples.exe },
    ]);
    await expectRefused(exeAsPdf, 400, "VALIDATION_FAILED", before);
    // Declared as a generic download, the bytes still decide: a PDF named .png stays refused.
    const generic = await submit({ ...parties, text: "x" }, [{ filename: "scan.png", type: "application/octet-stream", data: samples.pdf }]);
    await expectRefused(generic, 400, "VALIDATION_FAILED", before);
  });

  it("when the text is longer than 10,000 characters or the patient is missing, then 400 and nothing is stored", async () => {
    const before = await stored();
    await expectRefused(await submit({ ...parties, text: "a".repeat(10_001) }), 400, "VALIDATION_FAILED", before);
    await expectRefused(await submit({ providerId: "dr-av", text: "hello" }), 400, "VALIDATION_FAILED", before);
    const ok = await submit({ ...parties, text: "a".repeat(10_000) });
    expect(ok.statusCode).toBe(201);
  });

  it("when the body is JSON instead of a form, then 400 problem+json", async () => {
    const res = await app.request({ method: "POST", url: "/v1/async-visits", token: scheduler, body: { ...parties, text: "hi" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
  });

  it("when a visit names a session, then patient and provider come from it; another tenant's session answers 404", async () => {
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ patientId: "pat-s", providerId: "dr-s" }) })).json();
    const res = await submit({ sessionId: session.id, text: "follow-up photo" }, [{ filename: "a.jpg", type: "image/jpeg", data: samples.jpeg }]);
    expect(res.statusCode, res.body).toBe(201);
    const row = await app.owner.query("select patient_id, provider_id, session_id from async_visits where id = $1", [res.json().id]);
    expect(row.rows[0]).toEqual({ patient_id: "pat-s", provider_id: "dr-s", session_id: session.id });

    await configureTenant(app, "clinic-other");
    const foreign = await submit({ sessionId: session.id, text: "x" }, [], await staffToken("clinic-other", ["scheduler"]));
    expect(foreign.statusCode).toBe(404);
  });

  it("when a scheduler lists or reviews async visits, then 403 (clinical content is for clinicians)", async () => {
    expect((await app.request({ method: "GET", url: "/v1/async-visits", token: scheduler })).statusCode).toBe(403);
  });

  it("when the OpenAPI document is read, then the form, its limit and the AI summary routes are described", async () => {
    const res = await app.request({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    const submitOp = doc.paths["/v1/async-visits"].post;
    expect(Object.keys(submitOp.requestBody.content)).toEqual(["multipart/form-data"]);
    expect(submitOp.description).toContain("26 MiB");
    expect(doc.paths["/v1/sessions/{id}/ai-summary/accept"].post).toBeDefined();
    expect(doc.paths["/v1/sessions/{id}/ai-summary/audio"].post.requestBody.content).toHaveProperty("audio/mpeg");
  });
});
