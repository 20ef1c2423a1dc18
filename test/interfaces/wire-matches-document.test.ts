import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bootApp, configureTenant, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";
import { OpenAiStub } from "../support/openai-stub.js";
import { DocumentConformance, type WireAnswer } from "../support/openapi-conformance.js";
import { eventually } from "../support/nats.js";
import { streamText } from "../support/sse.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";
interface Call {
  token?: string;
  joinToken?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw body with its content type (multipart, audio, octet-stream, the wrong type on purpose). */
  raw?: { payload: Buffer | string; contentType: string };
}

/** Media types whose body the checks do not read (files, filler, Prometheus text). */
const BINARY = /^(image\/|application\/pdf|application\/octet-stream|text\/plain)/;

/**
 * Issue 21: what the wire does, held against what GET /openapi.json says, answer by answer. A whole
 * run of the product (a visit from booking to its AI summary, written visits, the streams, the
 * refusals along the way), then requests generated from the document for every operation (no
 * credential, a query of 101 keys, an over-long path parameter, a body of the wrong type or size),
 * and the request limiter's 429. Every answer's status, media type, body schema and headers must be
 * the documented ones; every operation must have answered a success and an error.
 */
describe("answers on the wire match the OpenAPI document (PostgreSQL)", () => {
  const tenant = `wire-${randomUUID().slice(0, 8)}`;
  const ai = new OpenAiStub();
  const receiver = new WebhookReceiver();
  let app: TestApp;
  let baseUrl: string;
  let conformance: DocumentConformance;
  const mismatches: string[] = [];
  let admin: string;
  let clinician: string;
  let scheduler: string;
  let noRoles: string;
  /** A patient's join token of the visit the run goes through. */
  let patientToken: string;

  beforeAll(async () => {
    app = await bootApp({
      env: {
        AI_GATEWAY_URL: await ai.start(),
        // The limiter on, so its headers are on the wire; the participant limit low enough to reach.
        RATE_LIMIT_ANONYMOUS_PER_MIN: "100000",
        RATE_LIMIT_TENANT_PER_MIN: "100000",
        RATE_LIMIT_PARTICIPANT_PER_MIN: "60",
        // The webhook receiver listens on loopback.
        WEBHOOK_ALLOW_PRIVATE: "true",
      },
    });
    baseUrl = await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    conformance = new DocumentConformance((await app.request({ method: "GET", url: "/openapi.json" })).json());
    await configureTenant(app, tenant, { aiSummaryEnabled: true });
    admin = await staffToken(tenant, ["admin"]);
    clinician = await staffToken(tenant, ["clinician"], "dr-wire");
    scheduler = await staffToken(tenant, ["scheduler"]);
    noRoles = await staffToken(tenant, []);
  });
  afterAll(async () => {
    await app?.close();
    await ai.stop();
    await receiver.stop();
  });
  beforeEach(() => {
    mismatches.length = 0;
  });

  /** One request through the app; its answer is checked against the document. */
  async function call(method: Method, url: string, c: Call = {}) {
    const res = await app.service.app.inject({
      method,
      url,
      headers: {
        ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
        ...(c.joinToken ? { "x-join-token": c.joinToken } : {}),
        ...(c.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(c.raw ? { "content-type": c.raw.contentType } : {}),
        ...c.headers,
      },
      payload: c.raw ? c.raw.payload : c.body === undefined ? undefined : JSON.stringify(c.body),
    });
    const binary = BINARY.test(String(res.headers["content-type"] ?? ""));
    mismatches.push(...conformance.check(method, url, { statusCode: res.statusCode, headers: res.headers, body: binary ? "" : res.body }));
    return res;
  }

  /** An event stream over real HTTP: its status and headers, and the frames up to the first event. */
  async function stream(url: string, headers: Record<string, string>): Promise<WireAnswer> {
    const res = await fetch(`${baseUrl}${url}`, { headers });
    const answer: WireAnswer = { statusCode: res.status, headers: Object.fromEntries(res.headers), body: "" };
    if (res.status === 200) {
      const reader = streamText(res);
      expect(await reader.until(/event: \w+\ndata: .*\n\n/)).toBe(true);
      answer.body = reader.received;
      await reader.cancel();
    } else {
      answer.body = await res.text();
    }
    mismatches.push(...conformance.check("GET", url, answer));
    return answer;
  }

  const expectStatus = (res: { statusCode: number; body: string }, status: number) => expect(res.statusCode, res.body.slice(0, 300)).toBe(status);
  const session = (patientId: string, extra: Record<string, unknown> = {}) => ({
    patientId,
    providerId: "dr-wire",
    scheduledStart: "2030-01-07T09:00:00.000Z",
    scheduledEnd: "2030-01-07T09:30:00.000Z",
    ...extra,
  });

  it("when a whole visit runs, with its refusals, then every answer is the documented one", { timeout: 60_000 }, async () => {
    // Operations.
    expectStatus(await call("GET", "/healthz"), 200);
    expectStatus(await call("GET", "/readyz"), 200);
    expectStatus(await call("GET", "/metrics"), 200);
    expectStatus(await call("GET", "/metrics", { headers: { "x-forwarded-for": "203.0.113.9" } }), 401);
    expectStatus(await call("GET", "/openapi.json"), 200);
    expectStatus(await call("GET", "/asyncapi.yaml"), 200);
    expectStatus(await call("GET", "/schemas/events/virtualcare.session.created.v1"), 200);
    expectStatus(await call("GET", "/schemas/events/virtualcare.unknown.v1"), 404);

    // Tenant config: read, a stale write, a write.
    const config = await call("GET", "/v1/tenant-config", { token: admin });
    expectStatus(config, 200);
    expectStatus(await call("GET", "/v1/tenant-config", { token: scheduler }), 403);
    const { tenantId: _t, version: _v, ...settings } = config.json();
    expectStatus(await call("PUT", "/v1/tenant-config", { token: admin, headers: { "if-match": '"0"' }, body: settings }), 409);
    expectStatus(await call("PUT", "/v1/tenant-config", { token: admin, headers: { "if-match": String(config.headers.etag) }, body: settings }), 200);

    // Sessions: create (and its retries), list, read.
    const key = randomUUID();
    const created = await call("POST", "/v1/sessions", { token: scheduler, headers: { "idempotency-key": key }, body: session("pat-wire-1", { appointmentId: `appt-${key}` }) });
    expectStatus(created, 201);
    expect(created.headers.location).toBe(`/v1/sessions/${created.json().id}`);
    expectStatus(await call("POST", "/v1/sessions", { token: scheduler, headers: { "idempotency-key": key }, body: session("pat-wire-1", { appointmentId: `appt-${key}` }) }), 201);
    expectStatus(await call("POST", "/v1/sessions", { token: scheduler, headers: { "idempotency-key": key }, body: session("pat-wire-2") }), 422);
    expectStatus(await call("POST", "/v1/sessions", { token: scheduler, body: session("pat-wire-1", { appointmentId: `appt-${key}` }) }), 409);
    expectStatus(await call("POST", "/v1/sessions", { token: scheduler, body: { patientId: "", scheduledStart: "tomorrow" } }), 400);
    const visit = created.json();
    const id: string = visit.id;
    const patient = visit.participants.find((p: { role: string }) => p.role === "patient").id;
    expectStatus(await call("GET", "/v1/sessions?status=scheduled&limit=5", { token: clinician }), 200);
    expectStatus(await call("GET", "/v1/sessions?limit=0", { token: clinician }), 400);
    expectStatus(await call("GET", `/v1/sessions/${id}`, { token: clinician }), 200);
    expectStatus(await call("GET", `/v1/sessions/${randomUUID()}`, { token: clinician }), 404);
    expectStatus(await call("GET", `/v1/sessions/${id}/participants`, { token: clinician }), 200);
    expectStatus(await call("GET", `/v1/sessions/${randomUUID()}/participants`, { token: clinician }), 404);
    const guest = await call("POST", `/v1/sessions/${id}/participants`, { token: scheduler, body: { role: "guest", displayName: "Sam" } });
    expectStatus(guest, 201);
    expectStatus(await call("POST", `/v1/sessions/${id}/participants`, { token: scheduler, body: { role: "pilot", displayName: "" } }), 400);

    // The patient's link: issue, validate, poll, the clinic, the pre-call checks.
    const issued = await call("POST", `/v1/sessions/${id}/participants/${patient}/join-token`, { token: scheduler });
    expectStatus(issued, 200);
    patientToken = issued.json().token;
    expectStatus(await call("POST", `/v1/sessions/${id}/participants/${randomUUID()}/join-token`, { token: scheduler }), 404);
    expectStatus(await call("POST", `/v1/sessions/${id}/participants/${patient}/join-token`, { joinToken: patientToken }), 200);
    expectStatus(await call("POST", "/v1/join/validate", { body: { token: patientToken } }), 200);
    expectStatus(await call("POST", "/v1/join/validate", { body: { token: "garbage" } }), 401);
    expectStatus(await call("GET", "/v1/join/status", { joinToken: patientToken }), 200);
    expectStatus(await call("GET", "/v1/join/status"), 401);
    expectStatus(await call("GET", "/v1/join/clinic", { joinToken: patientToken }), 200);
    expectStatus(await call("GET", "/v1/join/clinic", { joinToken: "garbage" }), 401);
    expectStatus(await call("POST", "/v1/join/bandwidth", { joinToken: patientToken, body: { kbps: 2400 } }), 200);
    expectStatus(await call("POST", "/v1/join/bandwidth", { joinToken: patientToken, body: { kbps: -1 } }), 400);
    expectStatus(await call("GET", "/v1/join/probe?bytes=1024", { joinToken: patientToken }), 200);
    expectStatus(await call("GET", "/v1/join/probe?bytes=1", { joinToken: patientToken }), 400);
    expectStatus(await call("POST", "/v1/join/probe", { joinToken: patientToken, raw: { payload: Buffer.alloc(1024), contentType: "application/octet-stream" } }), 200);
    expectStatus(await call("POST", "/v1/join/probe", { joinToken: patientToken, raw: { payload: Buffer.alloc(10), contentType: "application/octet-stream" } }), 400);
    // JSON is not filler: refused, not parsed (it was a 500 once the document named the upload's body).
    expectStatus(await call("POST", "/v1/join/probe", { joinToken: patientToken, body: { pad: "x".repeat(2048) } }), 415);

    // The three streams, and a refusal of each before it opens.
    expect((await stream("/v1/join/events", { "x-join-token": patientToken })).statusCode).toBe(200);
    expect((await stream("/v1/join/events", {})).statusCode).toBe(401);
    expect((await stream(`/v1/sessions/${id}/events`, { authorization: `Bearer ${clinician}` })).statusCode).toBe(200);
    expect((await stream(`/v1/sessions/${randomUUID()}/events`, { authorization: `Bearer ${clinician}` })).statusCode).toBe(404);
    expect((await stream("/v1/sessions/events", { authorization: `Bearer ${clinician}` })).statusCode).toBe(200);
    expect((await stream("/v1/sessions/events", { authorization: `Bearer ${noRoles}` })).statusCode).toBe(403);

    // Admission and removal.
    const admitted = await call("POST", `/v1/sessions/${id}/participants/${patient}/admit`, { token: clinician });
    expectStatus(admitted, 200);
    expectStatus(await call("POST", `/v1/sessions/${id}/participants/${patient}/admit`, { token: clinician }), 409);
    const removed = await call("DELETE", `/v1/sessions/${id}/participants/${guest.json().id}`, { token: clinician, headers: { "if-match": String(admitted.headers.etag) } });
    expectStatus(removed, 200);
    expectStatus(await call("DELETE", `/v1/sessions/${id}/participants/${guest.json().id}`, { token: clinician }), 409);

    // Asking for a new link, and the clinic's list of such requests.
    expectStatus(await call("POST", "/v1/join/link-request", { joinToken: patientToken }), 202);
    expectStatus(await call("POST", "/v1/join/link-request", { joinToken: "garbage" }), 401);
    const requests = await call("GET", "/v1/link-requests", { token: scheduler });
    expectStatus(requests, 200);
    expectStatus(await call("GET", "/v1/link-requests", { token: noRoles }), 403);
    expectStatus(await call("POST", `/v1/link-requests/${requests.json().items[0].id}/resolve`, { token: scheduler }), 204);
    expectStatus(await call("POST", `/v1/link-requests/${randomUUID()}/resolve`, { token: scheduler }), 404);

    // Ending, cancelling, falling back.
    expectStatus(await call("POST", `/v1/sessions/${id}/end`, { token: clinician, headers: { "if-match": String(admitted.headers.etag) } }), 409);
    expectStatus(await call("POST", `/v1/sessions/${id}/end`, { token: clinician, headers: { "if-match": String(removed.headers.etag) } }), 200);
    expectStatus(await call("POST", `/v1/sessions/${id}/end`, { token: clinician }), 409);
    const cancelled = (await call("POST", "/v1/sessions", { token: scheduler, body: session("pat-wire-3") })).json();
    expectStatus(await call("POST", `/v1/sessions/${cancelled.id}/cancel`, { token: scheduler, body: { reason: "rescheduled" } }), 200);
    expectStatus(await call("POST", `/v1/sessions/${cancelled.id}/cancel`, { token: scheduler, body: { reason: "again" } }), 409);
    const written = (await call("POST", "/v1/sessions", { token: scheduler, body: session("pat-wire-4") })).json();
    expectStatus(await call("POST", `/v1/sessions/${written.id}/fallback`, { token: clinician, body: { reason: "no camera", measuredKbps: 80.5 } }), 200);
    expectStatus(await call("POST", `/v1/sessions/${cancelled.id}/fallback`, { token: clinician, body: { reason: "too late" } }), 409);

    // AI summaries: a transcript accepted, a recording rejected.
    expectStatus(await call("POST", `/v1/sessions/${id}/ai-summary/transcript`, { token: clinician, body: { text: "Patient: sore throat since Monday." } }), 202);
    expectStatus(await call("POST", `/v1/sessions/${cancelled.id}/ai-summary/transcript`, { token: clinician, body: { text: "nothing" } }), 409);
    expectStatus(await call("POST", `/v1/sessions/${written.id}/end`, { token: clinician }), 200);
    const audio = { payload: Buffer.from("ID3 not really an mp3"), contentType: "audio/mpeg" };
    expectStatus(await call("POST", `/v1/sessions/${written.id}/ai-summary/audio`, { token: clinician, raw: audio }), 202);
    expectStatus(await call("POST", `/v1/sessions/${written.id}/ai-summary/audio`, { token: clinician, raw: { payload: Buffer.alloc(0), contentType: "audio/mpeg" } }), 400);
    await app.service.workers.aiSummaries.runOnce();
    expectStatus(await call("GET", `/v1/sessions/${id}/ai-summary`, { token: clinician }), 200);
    expectStatus(await call("GET", `/v1/sessions/${cancelled.id}/ai-summary`, { token: clinician }), 404);
    expectStatus(await call("POST", `/v1/sessions/${id}/ai-summary/accept`, { token: clinician, body: {} }), 200);
    expectStatus(await call("POST", `/v1/sessions/${id}/ai-summary/accept`, { token: clinician, body: {} }), 409);
    expectStatus(await call("POST", `/v1/sessions/${written.id}/ai-summary/reject`, { token: clinician, body: { reason: "incomplete" } }), 200);
    expectStatus(await call("POST", `/v1/sessions/${written.id}/ai-summary/reject`, { token: clinician, body: {} }), 409);

    // Written visits: submitted with a photo, listed, downloaded, answered, reviewed, read by the patient.
    const form = await multipartBody({ patientId: "pat-wire-1", providerId: "dr-wire", text: "photo attached" }, [{ filename: "arm.png", type: "image/png", data: samples.png }]);
    const submitted = await call("POST", "/v1/async-visits", { token: clinician, headers: { "idempotency-key": randomUUID() }, raw: { payload: form.payload, contentType: form.contentType } });
    expectStatus(submitted, 201);
    expectStatus(await call("POST", "/v1/async-visits", { token: clinician, body: { text: "not a form" } }), 400);
    const asyncId: string = submitted.json().id;
    const pending = await call("GET", "/v1/async-visits?providerId=dr-wire", { token: clinician });
    expectStatus(pending, 200);
    expectStatus(await call("GET", "/v1/async-visits?cursor=not-ours", { token: clinician }), 400);
    const attachment = pending.json().items.find((v: { id: string }) => v.id === asyncId).attachments[0].id;
    expectStatus(await call("GET", `/v1/async-visits/${asyncId}/attachments/${attachment}`, { token: clinician }), 200);
    expectStatus(await call("GET", `/v1/async-visits/${asyncId}/attachments/${randomUUID()}`, { token: clinician }), 404);
    expectStatus(await call("POST", `/v1/async-visits/${asyncId}/replies`, { token: clinician, body: { text: "Keep it raised." } }), 201);
    expectStatus(await call("POST", `/v1/async-visits/${asyncId}/replies`, { token: clinician, body: { text: "" } }), 400);
    expectStatus(await call("POST", `/v1/async-visits/${asyncId}/review`, { token: clinician }), 200);
    expectStatus(await call("POST", `/v1/async-visits/${asyncId}/review`, { token: clinician }), 409);
    const own = (await call("POST", "/v1/sessions", { token: scheduler, body: session("pat-wire-5") })).json();
    const ownPatient = own.participants.find((p: { role: string }) => p.role === "patient").id;
    const ownToken = (await call("POST", `/v1/sessions/${own.id}/participants/${ownPatient}/join-token`, { token: scheduler })).json().token;
    expectStatus(await call("GET", "/v1/join/async-visits", { joinToken: ownToken }), 200);
    expectStatus(await call("GET", "/v1/join/async-visits"), 401);

    // Patients from the FHIR server.
    expectStatus(await call("GET", "/v1/patients?name=garcia", { token: scheduler }), 200);
    expectStatus(await call("GET", "/v1/patients", { token: scheduler }), 400);

    // A tenant whose only video backend is down: 503 with each backend's result.
    const down = `${tenant}-down`;
    await configureTenant(app, down, { videoBackends: [{ name: "primary", healthUrl: "http://127.0.0.1:1/about/health" }] });
    expectStatus(await call("POST", "/v1/sessions", { token: await staffToken(down, ["scheduler"]), body: session("pat-wire-6") }), 503);

    expect(mismatches).toEqual([]);
  });

  it("when an admin manages webhooks (an endpoint that answered 410 Gone), then every answer is the documented one", { timeout: 60_000 }, async () => {
    const hooks = `${tenant}-hooks`;
    const admin = await staffToken(hooks, ["admin"]);
    await configureTenant(app, hooks);
    await receiver.start();
    receiver.answer = () => 410;
    const settings = (await call("GET", "/v1/tenant-config", { token: admin })).json();
    const subscribed = await call("PUT", "/v1/tenant-config", { token: admin, body: { ...settings, webhooks: [{ name: "ehr", url: receiver.url, eventTypes: ["virtualcare.session.created.v1"] }] } });
    expectStatus(subscribed, 200);
    receiver.secret = subscribed.json().webhooks[0].secret;
    await call("POST", "/v1/sessions", { token: await staffToken(hooks, ["scheduler"]), body: session("pat-wire-hook") });
    // The one attempt is answered 410: the delivery failed and the endpoint is disabled.
    const listed = async () => (await app.request({ method: "GET", url: "/v1/webhooks", token: admin })).json().items[0];
    await eventually("the endpoint to be disabled", async () => (await listed())?.status === "disabled");

    expectStatus(await call("GET", "/v1/webhooks", { token: admin }), 200);
    expectStatus(await call("GET", "/v1/webhooks", { token: await staffToken(hooks, ["scheduler"]) }), 403);
    const failed = await call("GET", "/v1/webhooks/deliveries?status=failed&limit=5", { token: admin });
    expectStatus(failed, 200);
    expectStatus(await call("GET", "/v1/webhooks/deliveries?limit=0", { token: admin }), 400);
    receiver.answer = () => 200;
    expectStatus(await call("POST", "/v1/webhooks/ehr/enable", { token: admin }), 200);
    expectStatus(await call("POST", "/v1/webhooks/no-such-endpoint/enable", { token: admin }), 404);
    const delivery: string = failed.json().items[0].id;
    expectStatus(await call("POST", `/v1/webhooks/deliveries/${delivery}/retry`, { token: admin }), 200);
    expectStatus(await call("POST", `/v1/webhooks/deliveries/${delivery}/retry`, { token: admin }), 409);
    expectStatus(await call("POST", `/v1/webhooks/deliveries/${randomUUID()}/retry`, { token: admin }), 404);
    expect(mismatches).toEqual([]);
  });

  it("when requests generated from the document leave out the credential, overflow the query, a path parameter or the body, or send another content type, then each answer is documented", { timeout: 60_000 }, async () => {
    const staff = await staffToken(tenant, ["admin", "clinician", "scheduler"]);
    const session = (await call("POST", "/v1/sessions", { token: staff, body: { patientId: "pat-gen", providerId: "dr-wire", scheduledStart: "2030-02-01T09:00:00.000Z" } })).json();
    const pathFor = (path: string, long = false) => path.replace(/\{[^}]+\}/g, (_, i: number) => (long && i === path.indexOf("{") ? "x".repeat(101) : session.id));
    for (const { method, path, op } of conformance.operations()) {
      const schemes = ((op.security ?? []) as Array<Record<string, unknown>>).flatMap((s) => Object.keys(s));
      const credential: Call = schemes.includes("bearerAuth") ? { token: staff } : schemes.includes("joinToken") ? { joinToken: patientToken } : {};
      const m = method as Method;
      // Staff are authenticated before anything else; a join token is read by the use case, after the body is validated.
      if (schemes.includes("bearerAuth")) expect((await call(m, pathFor(path))).statusCode, `${method} ${path} without a credential`).toBe(401);
      else if (schemes.includes("joinToken")) expect([400, 401], `${method} ${path} without a credential`).toContain((await call(m, pathFor(path))).statusCode);
      const query = new URLSearchParams(Array.from({ length: 101 }, (_, i) => [`k${i}`, "1"])).toString();
      expect((await call(m, `${pathFor(path)}?${query}`, credential)).statusCode, `${method} ${path} with 101 query keys`).toBe(400);
      if (path.includes("{")) expect((await call(m, pathFor(path, true), credential)).statusCode, `${method} ${path} with a long parameter`).toBe(414);
      if (m !== "GET") {
        expect((await call(m, pathFor(path), { ...credential, raw: { payload: `<x>${" ".repeat(2048)}</x>`, contentType: "application/xml" } })).statusCode, `${method} ${path} with XML`).toBe(415);
        const big = { payload: Buffer.alloc(27 * 1024 * 1024, 0x20), contentType: "application/json" };
        expect([400, 413], `${method} ${path} with 27 MiB`).toContain((await call(m, pathFor(path), { ...credential, raw: big })).statusCode);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("when a participant goes past the request limit, then 429 with Retry-After and the limit's headers, as documented", async () => {
    const staff = await staffToken(tenant, ["scheduler"]);
    const visit = (await call("POST", "/v1/sessions", { token: staff, body: { patientId: "pat-limit", providerId: "dr-wire", scheduledStart: "2030-03-01T09:00:00.000Z" } })).json();
    const token = (await call("POST", `/v1/sessions/${visit.id}/participants/${visit.participants[0].id}/join-token`, { token: staff })).json().token;
    let last = await call("GET", "/v1/join/status", { joinToken: token });
    for (let i = 0; i < 60 && last.statusCode !== 429; i++) last = await call("GET", "/v1/join/status", { joinToken: token });
    expectStatus(last, 429);
    expect(Number(last.headers["retry-after"])).toBeGreaterThan(0);
    expect(last.headers["x-ratelimit-limit"]).toBe("60");
    expect(mismatches).toEqual([]);
  });

  it("when a problem's type is followed, then the service serves a page for every code the document lists, and only for those", async () => {
    const codes = (conformance.document as { components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } }).components.schemas.Problem.properties.code.enum;
    expect(codes.length).toBeGreaterThan(20);
    for (const code of codes) {
      const type = `/problems/${code.toLowerCase().replaceAll("_", "-")}`;
      const page = await app.request({ method: "GET", url: type });
      expect(page.statusCode, type).toBe(200);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.body).toContain(`<code>${code}</code>`);
    }
    // The type an answer carries resolves against the host that answered it.
    const problem = (await app.request({ method: "GET", url: `/v1/sessions/${randomUUID()}`, token: clinician })).json();
    expect((await fetch(new URL(problem.type, baseUrl))).status).toBe(200);
    expect((await app.request({ method: "GET", url: "/problems/no-such-code" })).statusCode).toBe(404);
    expect((await app.request({ method: "GET", url: "/problems" })).body).toContain("/problems/optimistic-lock-conflict");
  });

  it("when an answer differs from the document, then the check names how", () => {
    const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
      statusCode,
      headers: { "content-type": statusCode >= 400 ? "application/problem+json" : "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const problem = { type: "/problems/not-found", title: "Not found", status: 404, detail: "session not found", code: "NOT_FOUND" };
    const check = (method: string, url: string, answer: WireAnswer) => new DocumentConformance(conformance.document).check(method, url, answer);
    const url = `/v1/sessions/${randomUUID()}`;
    expect(check("GET", url, json(404, problem))).toEqual([]);
    expect(check("GET", url, json(418, problem))).toEqual([expect.stringContaining("status not documented")]);
    // A real code, but not one this answer lists.
    expect(check("GET", url, json(404, { ...problem, code: "INVALID_STATUS_TRANSITION" }))).toEqual([expect.stringContaining('/code must be equal to one of the allowed values {"allowedValues":["NOT_FOUND"]}')]);
    expect(check("GET", url, { ...json(404, problem), headers: { "content-type": "text/html" } })).toEqual([expect.stringContaining("content type text/html not documented")]);
    expect(check("GET", url, json(404, problem, { etag: '"1"' }))).toEqual([expect.stringContaining("header etag on the wire, not documented")]);
    expect(check("GET", url, json(200, {}))).toEqual(expect.arrayContaining([expect.stringContaining("documented required header etag missing"), expect.stringContaining("must have required property")]));
    const sse = (body: string) => ({ statusCode: 200, headers: { "content-type": "text/event-stream" }, body });
    expect(check("GET", "/v1/join/events", sse(": open\n\nevent: status\ndata: {}\n\n"))).toEqual(expect.arrayContaining([expect.stringContaining("event status data: / must have required property")]));
    expect(check("GET", "/v1/join/events", sse("event: gossip\ndata: {}\n\n"))).toEqual([expect.stringContaining('event "gossip" not documented')]);
    expect(check("PATCH", url, json(200, {}))).toEqual([expect.stringContaining("no operation in the document")]);
  });

  it("when the run is over, then every operation of the document has answered a success and an error", () => {
    const missing = conformance
      .operations()
      .map(({ method, path, operationId }) => ({ what: `${method} ${path}`, statuses: [...(conformance.seen.get(operationId) ?? [])] }))
      .filter(({ statuses }) => !statuses.some((s) => s < 300) || !statuses.some((s) => s >= 400))
      .map(({ what, statuses }) => `${what} (${statuses.join(", ") || "never called"})`);
    expect(missing).toEqual([]);
  });
});
