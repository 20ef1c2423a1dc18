import type { DocumentReference } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { OpenAiStub } from "../../support/openai-stub.js";

describe("AI visit summary: draft → clinician acceptance → chart", () => {
  const ai = new OpenAiStub();
  const clock = new ManualClock();
  let app: TestApp;
  let clinician: string;
  let admin: string;
  let scheduler: string;

  beforeAll(async () => {
    const aiUrl = await ai.start();
    app = await bootApp({ clock, env: { AI_GATEWAY_URL: aiUrl, ENCOUNTER_RECONCILE_INTERVAL_MS: "300000" } });
    await configureTenant(app, "clinic-ai", { aiSummaryEnabled: true });
    clinician = await staffToken("clinic-ai", ["clinician"], "dr-ai-user");
    admin = await staffToken("clinic-ai", ["admin"]);
    scheduler = await staffToken("clinic-ai", ["scheduler"]);
  });
  afterAll(async () => {
    await app.close();
    await ai.stop();
  });

  const visit = async (patientId: string, token = clinician) => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ patientId, providerId: "dr-ai" }) });
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token, body: { reason: "video failed" } })).statusCode).toBe(200);
    return id;
  };
  const end = (id: string) => app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
  const upload = (id: string, text: string) => app.request({ method: "POST", url: `/v1/sessions/${id}/ai-summary/transcript`, token: clinician, body: { text } });
  const summary = async (id: string) => (await app.request({ method: "GET", url: `/v1/sessions/${id}/ai-summary`, token: clinician })).json();
  const accept = (id: string, body: unknown = {}, token = clinician) =>
    app.request({ method: "POST", url: `/v1/sessions/${id}/ai-summary/accept`, token, body });
  const work = () => app.service.workers.aiSummaries.runOnce();
  const documentsOf = (summaryId: string) =>
    app.fhir.search<DocumentReference>("DocumentReference", { identifier: `urn:virtual-care:ai-summary|${summaryId}` });
  const decode = (doc: DocumentReference) => Buffer.from(doc.content[0]!.attachment.data!, "base64").toString("utf8");

  it("when a transcript is drafted and a clinician accepts it with edits, then the edited text becomes one valid DocumentReference", async () => {
    const id = await visit("pat-ai-1");
    const ended = (await end(id)).json();
    const posted = await upload(id, "Clinician: what brings you in? Patient: sore throat since Monday.");
    expect(posted.statusCode, posted.body).toBe(202);
    expect(posted.json().status).toBe("pending");
    await work();

    const draft = await summary(id);
    expect(draft).toMatchObject({ status: "ready", source: "text", draft: ai.draft, documentReferenceId: null });
    const chat = ai.calls.filter((c) => c.path === "/v1/chat/completions").at(-1)!;
    expect(chat.body.toString()).toContain("sore throat since Monday");

    const edited = "S: sore throat 3 days. O: afebrile. A: viral pharyngitis. P: fluids, review in 1 week.";
    const res = await accept(id, { text: edited });
    expect(res.statusCode, res.body).toBe(200);
    const accepted = res.json();
    expect(accepted).toMatchObject({ status: "accepted", acceptedText: edited, edited: true, decidedBy: "dr-ai-user" });

    const docs = await documentsOf(accepted.id);
    expect(docs).toHaveLength(1);
    const doc = docs[0]!;
    expect(accepted.documentReferenceId).toBe(doc.id);
    expect(doc).toMatchObject({
      status: "current",
      docStatus: "final",
      subject: { reference: "Patient/pat-ai-1" },
      context: { encounter: [{ reference: `Encounter/${ended.encounterId}` }] },
    });
    expect(decode(doc)).toBe(edited);

    const events = await app.owner.query(
      "select data from virtual_care_outbox where type = 'virtualcare.ai_summary.accepted.v1' and aggregate_id = $1",
      [accepted.id],
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].data).toMatchObject({ summaryId: accepted.id, sessionId: id, edited: true });
    // Announces the decision, never the clinical text.
    expect(JSON.stringify(events.rows[0].data)).not.toMatch(/pharyngitis|sore throat/i);
  });

  it("when the recording is uploaded, then it is transcribed over multipart and the unedited draft can be accepted", async () => {
    const id = await visit("pat-ai-2");
    await end(id);
    const audio = Buffer.concat([Buffer.from("ID3"), Buffer.alloc(2048, 1)]);
    const res = await app.request({
      method: "POST",
      url: `/v1/sessions/${id}/ai-summary/audio`,
      token: clinician,
      headers: { "content-type": "audio/mpeg" },
      body: audio.toString("latin1"),
    });
    expect(res.statusCode, res.body).toBe(202);
    await work();
    expect(ai.calls.some((c) => c.path === "/v1/audio/transcriptions" && c.contentType.startsWith("multipart/form-data"))).toBe(true);
    expect((await summary(id)).status).toBe("ready");

    const accepted = (await accept(id)).json();
    expect(accepted).toMatchObject({ status: "accepted", edited: false });
    expect(accepted.acceptedText).toContain(`Assessment:\n${ai.draft.assessment}`);
    expect(decode((await documentsOf(accepted.id))[0]!)).toBe(accepted.acceptedText);
  });

  it("when someone other than a clinician accepts, then 403 FORBIDDEN and the draft stays ready", async () => {
    const id = await visit("pat-ai-3");
    await end(id);
    await upload(id, "short visit");
    await work();
    for (const token of [admin, scheduler]) {
      const res = await accept(id, {}, token);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe("FORBIDDEN");
    }
    expect((await summary(id)).status).toBe("ready");
  });

  it("when a summary is accepted twice, then the second answer is 409 and the chart holds one document", async () => {
    const id = await visit("pat-ai-4");
    await end(id);
    await upload(id, "follow-up visit");
    await work();
    const [first, second] = await Promise.all([accept(id, { text: "first" }), accept(id, { text: "second" })]);
    const codes = [first.statusCode, second.statusCode].sort();
    expect(codes).toEqual([200, 409]);
    const loser = first.statusCode === 409 ? first : second;
    expect(loser.json()).toMatchObject({ code: "INVALID_STATUS_TRANSITION", currentStatus: "accepted" });
    const again = await accept(id, { text: "third" });
    expect(again.statusCode).toBe(409);
    const s = await summary(id);
    expect(await documentsOf(s.id)).toHaveLength(1);
    expect(s.acceptedText).not.toBe("third");
  });

  it("when the gateway is down, then the visit still ends, the draft fails, and it is retried with backoff until ready", async () => {
    const id = await visit("pat-ai-5");
    ai.down = true;
    try {
      await upload(id, "visit transcript while the gateway is down");
      const ended = await end(id);
      expect(ended.statusCode).toBe(200);
      expect(ended.json().status).toBe("ended");
      await work();
      const failed = await summary(id);
      expect(failed).toMatchObject({ status: "failed", attempts: 1, lastError: "SUMMARY_FAILED", draft: null });
      expect(new Date(failed.nextAttemptAt).getTime()).toBeGreaterThan(clock.now().getTime());
    } finally {
      ai.down = false;
    }
    await work();
    expect((await summary(id)).status).toBe("failed"); // not due yet: backoff
    clock.advance(31_000);
    await work();
    expect(await summary(id)).toMatchObject({ status: "ready", attempts: 2, lastError: null, draft: ai.draft });
  });

  it("when FHIR is down at acceptance, then the acceptance stands and the worker puts it in the chart later", async () => {
    const id = await visit("pat-ai-6");
    await end(id);
    await upload(id, "visit");
    await work();
    await app.fhir.stop();
    let accepted;
    try {
      const res = await accept(id, { text: "accepted while FHIR was down" });
      expect(res.statusCode).toBe(200);
      accepted = res.json();
      expect(accepted).toMatchObject({ status: "accepted", documentReferenceId: null });
    } finally {
      await app.fhir.start();
    }
    clock.advance(31_000);
    expect((await work()).charted).toBeGreaterThanOrEqual(1);
    const docs = await documentsOf(accepted.id);
    expect(docs).toHaveLength(1);
    expect((await summary(id)).documentReferenceId).toBe(docs[0]!.id);
  });

  it("when the tenant has not enabled AI summaries, then 403 AI_SUMMARY_DISABLED; another tenant's session answers 404", async () => {
    await configureTenant(app, "clinic-no-ai");
    const other = await staffToken("clinic-no-ai", ["clinician"]);
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: other, body: sessionBody() });
    const res = await app.request({ method: "POST", url: `/v1/sessions/${created.json().id}/ai-summary/transcript`, token: other, body: { text: "x" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("AI_SUMMARY_DISABLED");
    expect(res.json().detail).toContain("aiSummaryEnabled is false");
    const foreign = await app.request({ method: "GET", url: `/v1/sessions/${created.json().id}/ai-summary`, token: clinician });
    expect(foreign.statusCode).toBe(404);
    const upl = await upload(created.json().id, "x");
    expect(upl.statusCode).toBe(404);
  });

  it("when the tenant has AI summaries on but the service has no AI_GATEWAY_URL, then the 403 names the missing gateway, not the tenant", async () => {
    const noGateway = await bootApp();
    try {
      await configureTenant(noGateway, "clinic-ai-on", { aiSummaryEnabled: true });
      const token = await staffToken("clinic-ai-on", ["clinician"]);
      const created = await noGateway.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody() });
      const res = await noGateway.request({ method: "POST", url: `/v1/sessions/${created.json().id}/ai-summary/transcript`, token, body: { text: "x" } });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe("AI_SUMMARY_DISABLED");
      expect(res.json().detail).toContain("AI_GATEWAY_URL is not set");
      expect(res.json().detail).not.toContain("not enabled for this tenant");
    } finally {
      await noGateway.close();
    }
  }, 60_000);
});
