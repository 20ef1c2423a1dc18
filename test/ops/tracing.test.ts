import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
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
      OTEL_SERVICE_NAME: "vcs-under-test",
      // Export batches quickly: the test waits for them.
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    await configureTenantOn(service, tenant);
    await eventually("the scheduling consumer to exist", () => consumerIdle(nats.url, "virtual-care-scheduling"), 30_000, 200);
  }, 120_000);
  afterAll(async () => {
    await service?.kill();
    await events?.close();
    await receiver?.close();
    await fhir?.stop();
    await nats?.destroy();
    await db?.drop();
  });

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
      receiver.trace(server.traceId).find((s) => s.kind === SpanKind.producer && s.name === `send ${SESSION_CREATED}`),
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
    expect(publish.attributes).toMatchObject({ "messaging.system": "nats", "messaging.destination.name": SESSION_CREATED, "messaging.message.id": event.event.id });
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
    const event = await published(booked.appointmentId);
    expect(traceIdOf(event.event.traceparent)).toBe(traceId);
    await eventually("the publish span", () => receiver.trace(traceId).find((s) => s.kind === SpanKind.producer));
    const spans = receiver.trace(traceId);
    const useCase = spans.find((s) => s.name === "session.create");
    expect(useCase, names(spans)).toBeDefined();
    expect(descendsFrom(spans, useCase!, consumer)).toBe(true);
    expect(spans.some((s) => s.kind === SpanKind.client && descendsFrom(spans, s, consumer))).toBe(true);
  });

  it("when the platform polls /readyz, /healthz and /metrics, then no span is exported for them", async () => {
    for (const path of ["/readyz", "/healthz", "/metrics"]) expect((await fetch(`${service.url}${path}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.spans.filter((s) => /^\/(readyz|healthz|metrics)/.test(String(s.attributes["url.path"])))).toEqual([]);
  });
});

function names(spans: ReceivedSpan[]): string {
  return spans.map((s) => `${s.kind}:${s.name}`).join(", ");
}
