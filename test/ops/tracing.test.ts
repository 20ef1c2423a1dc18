import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { consentFor } from "../support/fhir-resources.js";
import { OpenAiStub } from "../support/openai-stub.js";
import { StubServer } from "../support/stub-server.js";
import { staffToken } from "../support/app.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";
import { configureTenantOn, createSessionCall } from "../support/ops.js";
import { descendsFrom, OtlpReceiver, SpanKind, type ReceivedSpan } from "../support/otlp-receiver.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { appointmentEvent, consumerIdle, deliver } from "../support/scheduling.js";
import { ServiceProcess } from "../support/service-process.js";

const SESSION_CREATED = "virtualcare.session.created.v1";
const traceIdOf = (traceparent: unknown) => String(traceparent).split("-")[1];
const spanIdOf = (traceparent: unknown) => String(traceparent).split("-")[2];

/**
 * Traces as an operator's collector receives them: the service (a child process on PostgreSQL and
 * its own nats-server) exports OTLP/HTTP to a receiver run by the test, and the trace context
 * crosses the outbox into each CloudEvent's `traceparent`.
 */
describe("OpenTelemetry traces exported by OTLP (child process, PostgreSQL, own nats-server)", () => {
  let db: TestDatabase;
  let nats: PrivateNats;
  let fhir: EmbeddedFhirServer;
  let receiver: OtlpReceiver;
  let service: ServiceProcess;
  let events: StreamReader;
  const tenant = `t-traces-${randomBytes(3).toString("hex")}`;
  const ai = new OpenAiStub();
  /** A video bridge's health endpoint that keeps the trace context each probe sent. */
  const bridgeTraceparents: string[] = [];
  const bridge = new StubServer((req, res) => {
    bridgeTraceparents.push(String(req.headers.traceparent ?? ""));
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  /** A tenant's webhook receiver that keeps the trace context of each delivery. */
  const hookTraceparents: string[] = [];
  const hooks = new StubServer((req, res) => {
    hookTraceparents.push(String(req.headers.traceparent ?? ""));
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    nats = await PrivateNats.start();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    receiver = await OtlpReceiver.start();
    events = await StreamReader.at(nats.url, "VIRTUAL_CARE");
    service = await ServiceProcess.start({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      FHIR_BASE_URL: fhir.baseUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      AI_GATEWAY_URL: await ai.start(),
      // The bridge stubs listen on loopback.
      VIDEO_HEALTH_ALLOW_PRIVATE: "true",
      VIDEO_HEALTH_CACHE_MS: "0",
      // The webhook receiver too.
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_POLL_INTERVAL_MS: "100",
      OTEL_SERVICE_NAME: "vcs-under-test",
      // Export batches quickly: the test waits for them.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    await bridge.start();
    await hooks.start();
    await configureTenantOn(service, tenant);
    await eventually("the scheduling consumer to exist", () => consumerIdle(nats.url, "virtual-care-scheduling"), 30_000, 200);
  }, 120_000);
  afterAll(async () => {
    await service?.kill();
    await ai.stop();
    await bridge.stop();
    await hooks.stop();
    await events?.close();
    await receiver?.close();
    await fhir?.stop();
    await nats?.destroy();
    await db?.drop();
  });

  /**
   * Returns once every span of the requests made so far has been exported: spans are exported in
   * the order they end, so a later request's SERVER span arriving means the earlier ones (and
   * their children, which end before them) have arrived, or never will.
   */
  const afterEarlierSpans = async () => {
    const isPage = (s: ReceivedSpan) => s.kind === SpanKind.server && s.attributes["http.route"] === "/join";
    const before = receiver.spans.filter(isPage).length;
    await fetch(`${service.url}/join`).then((r) => r.text());
    await eventually("a later request's SERVER span", () => receiver.spans.filter(isPage).length > before);
  };

  const published = (appointmentId: string) =>
    eventually(`${SESSION_CREATED} for ${appointmentId} on VIRTUAL_CARE`, async () =>
      (await events.read()).find((r: StreamRecord) => r.subject === SESSION_CREATED && r.event.data.appointmentId === appointmentId),
    );

  it("when a session is created over HTTP, then one trace holds the request, the use case, its SQL and the relay's publish, and the CloudEvent carries that trace", async () => {
    const token = await staffToken(tenant, ["scheduler"]);
    const appointmentId = `appt-http-${randomBytes(3).toString("hex")}`;
    const created = await createSessionCall(service.url, token, appointmentId);
    expect(created.status).toBe(201);

    const server = await eventually("the request's SERVER span", () =>
      receiver.spans.find((s) => s.kind === SpanKind.server && s.attributes["http.route"] === "/v1/sessions" && s.attributes["http.request.method"] === "POST"),
    );
    expect(server.service).toBe("vcs-under-test");
    const event = await published(appointmentId);
    // The CloudEvent carries the trace of the request that wrote it (distributed-tracing extension).
    expect(traceIdOf(event.event.traceparent)).toBe(server.traceId);

    const publish = await eventually("the relay's PRODUCER span in the request's trace", () =>
      receiver.trace(server.traceId).find((s) => s.kind === SpanKind.producer && s.name === `publish ${SESSION_CREATED}`),
    );
    const spans = receiver.trace(server.traceId);
    const useCase = spans.find((s) => s.name === "session.create");
    expect(useCase, names(spans)).toBeDefined();
    expect(descendsFrom(spans, useCase!, server)).toBe(true);
    const sql = spans.filter((s) => s.kind === SpanKind.client && s.attributes["db.system.name"] === "postgresql");
    expect(sql.length, names(spans)).toBeGreaterThan(0);
    const insertSession = sql.find((s) => /insert into "virtual_sessions"/i.test(String(s.attributes["db.query.text"])));
    expect(insertSession, sql.map((s) => String(s.attributes["db.query.text"]).slice(0, 60)).join("\n")).toBeDefined();
    expect(descendsFrom(spans, insertSession!, useCase!)).toBe(true);
    // The relay (another async context) continued the trace from the outbox row; the event names
    // the publish span as its parent, and the publish carries no SQL parameters or PHI.
    expect(descendsFrom(spans, publish, server)).toBe(true);
    expect(spanIdOf(event.event.traceparent)).toBe(publish.spanId);
    expect(publish.attributes).toMatchObject({
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.destination.name": SESSION_CREATED,
      "messaging.message.id": event.event.id,
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(nats.url).port),
    });
    expect(publish.attributes["messaging.message.body.size"]).toBeGreaterThan(0);
    // The request's own span, by the HTTP server conventions.
    expect(server.name).toBe("POST /v1/sessions");
    expect(server.attributes).toMatchObject({
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(service.url).port),
      "network.protocol.version": "1.1",
      "http.response.status_code": 201,
    });
    expect(server.status.code).toBe(0);
    expect(JSON.stringify(spans)).not.toContain("patient-ops-1");
  });

  it("when a booked appointment arrives with a traceparent, then the consumer's span joins that trace, and so do the session's SQL and the event it publishes", async () => {
    const traceId = randomBytes(16).toString("hex");
    const parentSpanId = randomBytes(8).toString("hex");
    const booked = appointmentEvent({ tenantId: tenant });
    const body = { ...JSON.parse(booked.body), traceparent: `00-${traceId}-${parentSpanId}-01` };
    await deliver(nats.url, { type: booked.type, body: JSON.stringify(body) });

    const consumer = await eventually("the consumer's span", () => receiver.trace(traceId).find((s) => s.kind === SpanKind.consumer));
    expect(consumer.parentSpanId).toBe(parentSpanId);
    expect(consumer.name).toBe(`process ${booked.type}`);
    expect(consumer.attributes).toMatchObject({
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": booked.type,
      "messaging.consumer.group.name": "virtual-care-scheduling",
      "server.address": "127.0.0.1",
    });
    const event = await published(booked.appointmentId);
    expect(traceIdOf(event.event.traceparent)).toBe(traceId);
    await eventually("the publish span", () => receiver.trace(traceId).find((s) => s.kind === SpanKind.producer));
    const spans = receiver.trace(traceId);
    const useCase = spans.find((s) => s.name === "session.create");
    expect(useCase, names(spans)).toBeDefined();
    expect(descendsFrom(spans, useCase!, consumer)).toBe(true);
    expect(spans.some((s) => s.kind === SpanKind.client && descendsFrom(spans, s, consumer))).toBe(true);
  });

  it("when a request carries a query string (patient ids, a typed name, a join token), then no span attribute holds it", async () => {
    const token = await staffToken(tenant, ["clinician"]);
    const res = await fetch(`${service.url}/v1/sessions?patientId=pat-secret-42&limit=5`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await fetch(`${service.url}/join?token=not-a-real-token-but-a-secret`);
    const server = await eventually("the list request's SERVER span", () =>
      receiver.spans.find((s) => s.kind === SpanKind.server && s.attributes["http.route"] === "/v1/sessions" && s.attributes["http.request.method"] === "GET"),
    );
    expect(server.attributes["url.path"]).toBe("/v1/sessions");
    await afterEarlierSpans();
    const leaked = receiver.spans.filter((s) => Object.values(s.attributes).some((v) => /pat-secret-42|not-a-real-token/.test(String(v))));
    expect(leaked.map((s) => s.name)).toEqual([]);
  });

  it("when requests are refused or fail, then a 4xx server span is not an error, a 5xx one is, with error.type and no message", async () => {
    const token = await staffToken(tenant, ["clinician"]);
    expect((await service.request("GET", `/v1/sessions/${randomUUID()}`, token)).status).toBe(404);
    expect((await service.request("GET", "/v1/no-such-route", token)).status).toBe(404);
    // A tenant whose only bridge refuses connections: 503 VIDEO_PROVIDER_UNAVAILABLE.
    const down = `${tenant}-down`;
    const admin = await staffToken(down, ["admin", "platform_admin"]);
    const backend = { name: "primary", provider: "jitsi", domain: "down.meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef", healthUrl: "http://127.0.0.1:1/about/health" };
    expect((await service.request("PUT", "/v1/tenant-config", admin, { licensed: true, consentRequired: false, videoBackends: [backend] })).status).toBe(200);
    const refused = await service.request("POST", "/v1/sessions", await staffToken(down, ["scheduler"]), { patientId: "pat-down", providerId: "dr-down", scheduledStart: "2030-01-07T09:00:00.000Z" });
    expect(refused.status).toBe(503);

    const byStatus = (route: string | undefined, status: number) =>
      eventually(`the ${status} SERVER span of ${route ?? "no route"}`, () =>
        receiver.spans.find((s) => s.kind === SpanKind.server && s.attributes["http.route"] === route && s.attributes["http.response.status_code"] === status),
      );
    const notFound = await byStatus("/v1/sessions/:id", 404);
    expect(notFound.name).toBe("GET /v1/sessions/:id");
    expect(notFound.status.code).toBe(0);
    expect(notFound.attributes["error.type"]).toBeUndefined();
    expect(notFound.events).toEqual([]);
    const noRoute = await byStatus(undefined, 404);
    expect(noRoute.name).toBe("GET");
    expect(noRoute.status.code).toBe(0);
    const unavailable = await byStatus("/v1/sessions", 503);
    expect(unavailable.status).toEqual({ code: 2 });
    expect(unavailable.attributes["error.type"]).toBe("503");
    expect(unavailable.events).toEqual([]);
    const probe = await eventually("the refused health probe's CLIENT span", () =>
      receiver.trace(unavailable.traceId).find((s) => s.kind === SpanKind.client && s.name === "GET /about/health"),
    );
    expect(probe.attributes).toMatchObject({ "server.address": "127.0.0.1", "server.port": 1, "error.type": "ECONNREFUSED" });
    expect(probe.status.code).toBe(2);
  });

  it("when the service calls FHIR, a video bridge and the AI gateway, then each call is a CLIENT span by the HTTP conventions, with no query and the trace context sent along", async () => {
    const calling = `${tenant}-calls`;
    const admin = await staffToken(calling, ["admin", "platform_admin"]);
    const backend = { name: "primary", provider: "jitsi", domain: "calls.meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef", healthUrl: `${bridge.url}/about/health` };
    const configured = await service.request("PUT", "/v1/tenant-config", admin, { licensed: true, consentRequired: true, aiSummaryEnabled: true, videoBackends: [backend] });
    expect(configured.status).toBe(200);
    await fhir.create(consentFor("pat-traced-7"));
    const clinician = await staffToken(calling, ["clinician"]);
    const created = await service.request("POST", "/v1/sessions", clinician, { patientId: "pat-traced-7", providerId: "dr-traced", scheduledStart: "2030-01-07T09:00:00.000Z" });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await service.request("POST", `/v1/sessions/${id}/fallback`, clinician, { reason: "no camera" })).status).toBe(200);
    expect((await service.request("POST", `/v1/sessions/${id}/end`, clinician)).status).toBe(200);
    expect((await service.request("POST", `/v1/sessions/${id}/ai-summary/transcript`, clinician, { text: "Patient: a cough since Friday." })).status).toBe(202);

    const server = await eventually("the create's SERVER span", () =>
      receiver.spans.find((s) => s.kind === SpanKind.server && s.attributes["http.route"] === "/v1/sessions" && s.attributes["http.response.status_code"] === 201 && receiver.trace(s.traceId).some((c) => c.name === "GET /about/health")),
    );
    const spans = receiver.trace(server.traceId);
    const consent = spans.find((s) => s.kind === SpanKind.client && s.name.endsWith("/Consent"))!;
    expect(consent, names(spans)).toBeDefined();
    expect(descendsFrom(spans, consent, server)).toBe(true);
    expect(consent.attributes).toMatchObject({ "http.request.method": "GET", "http.response.status_code": 200, "server.address": "127.0.0.1" });
    expect(String(consent.attributes["url.full"])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\/Consent$/);
    const health = spans.find((s) => s.kind === SpanKind.client && s.name === "GET /about/health")!;
    expect(health.attributes).toMatchObject({ "http.response.status_code": 200, "url.template": "/about/health", "server.port": Number(new URL(bridge.url).port) });
    // The bridge received this span's context.
    expect(bridgeTraceparents).toContain(`00-${server.traceId}-${health.spanId}-01`);

    const encounter = await eventually("the Encounter's CLIENT span", () => receiver.spans.find((s) => s.kind === SpanKind.client && s.name.endsWith("/Encounter")));
    expect(encounter.attributes).toMatchObject({ "http.request.method": "POST", "http.response.status_code": 201 });
    const chat = await eventually("the AI gateway's CLIENT span", () => receiver.spans.find((s) => s.kind === SpanKind.client && s.name === "POST /v1/chat/completions"));
    expect(chat.attributes).toMatchObject({ "http.response.status_code": 200, "server.address": "127.0.0.1" });
    const sent = ai.calls.find((c) => c.path === "/v1/chat/completions")!;
    expect(sent.traceparent).toBe(`00-${chat.traceId}-${chat.spanId}-01`);
    // Patient ids travel in FHIR's query strings and bodies, never into a span.
    expect(JSON.stringify(receiver.spans)).not.toContain("pat-traced-7");
  });

  it("when a created session's event is delivered to a webhook, then the delivery is a CLIENT span in the create's trace and the receiver gets its context", async () => {
    const hooked = `${tenant}-hooks`;
    const admin = await staffToken(hooked, ["admin", "platform_admin"]);
    const backend = { name: "primary", provider: "jitsi", domain: "hooks.meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef" };
    const webhooks = [{ name: "ehr", url: `${hooks.url}/hooks/visits`, eventTypes: [SESSION_CREATED] }];
    const configured = await service.request("PUT", "/v1/tenant-config", admin, { licensed: true, consentRequired: false, videoBackends: [backend], webhooks });
    expect(configured.status).toBe(200);
    const clinician = await staffToken(hooked, ["clinician"]);
    const created = await service.request("POST", "/v1/sessions", clinician, { patientId: "pat-hooked-3", providerId: "dr-hooked", scheduledStart: "2030-01-07T09:00:00.000Z" });
    expect(created.status).toBe(201);
    const server = await eventually("the create's SERVER span", () =>
      receiver.spans.find((s) => s.kind === SpanKind.server && s.attributes["http.route"] === "/v1/sessions" && receiver.trace(s.traceId).some((c) => c.kind === SpanKind.client && c.name === "POST /hooks/visits")),
    );
    const delivery = receiver.trace(server.traceId).find((s) => s.kind === SpanKind.client && s.name === "POST /hooks/visits")!;
    expect(delivery.attributes).toMatchObject({ "http.request.method": "POST", "http.response.status_code": 204, "url.template": "/hooks/visits", "server.port": Number(new URL(hooks.url).port) });
    expect(hookTraceparents).toContain(`00-${server.traceId}-${delivery.spanId}-01`);
  });

  it("when the platform polls /readyz, /healthz and /metrics, then no span is exported for them", async () => {
    for (const path of ["/readyz", "/healthz", "/metrics"]) expect((await fetch(`${service.url}${path}`)).status).toBe(200);
    await afterEarlierSpans();
    expect(receiver.spans.filter((s) => /^\/(readyz|healthz|metrics)/.test(String(s.attributes["url.path"])))).toEqual([]);
  });
});

function names(spans: ReceivedSpan[]): string {
  return spans.map((s) => `${s.kind}:${s.name}`).join(", ");
}
