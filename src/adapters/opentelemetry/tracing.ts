/**
 * OpenTelemetry tracing, exported by OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads
 * the standard OTEL_EXPORTER_OTLP_* settings itself). Loaded only when that setting is present:
 * without it this module is never imported and `@opentelemetry/api` stays a no-op.
 */
import { context, createContextKey, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { FastifyPluginCallback } from "fastify";
import pg from "pg";

export interface Tracing {
  /** Registered before any route: one SERVER span per request, continuing an incoming `traceparent`. */
  httpPlugin: FastifyPluginCallback;
  /** Runs `work` with no span recorded (the start-up warm-up: it is not traffic). */
  untraced<T>(work: () => Promise<T>): Promise<T>;
  /** Sends the spans still buffered; the service calls it last when it shuts down. */
  shutdown(): Promise<void>;
}

/** Paths polled by the platform: a span each would drown the requests an operator looks for. */
const UNTRACED_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * The SDK's "suppress tracing" context key (@opentelemetry/core's suppressTracing, which is not a
 * dependency of ours): keys are Symbol.for(name), so this is the same key. The SDK's tracer hands
 * out non-recording spans while it is set.
 */
const SUPPRESS_TRACING = createContextKey("OpenTelemetry SDK Context Key SUPPRESS_TRACING");

export async function startTracing(service: { name: string; version: string }): Promise<Tracing> {
  // Lazy: the SDK, exporter and instrumentations cost start-up time and memory nobody else pays.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { PgInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/instrumentation-pg"),
    import("@fastify/otel"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME || service.name, "service.version": service.version }),
    // The processor reads OTEL_BSP_* (delay, queue and batch sizes).
    spanProcessors: [withoutQueryStrings, serverSpanStatus, new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Global: AsyncLocalStorage context and the W3C trace-context propagator, which the outbox
  // writer, the relay and the consumer use through @opentelemetry/api.
  provider.register();

  // pg is already loaded (ES modules are not hooked here), so the instrumentation's patches are
  // applied to the module we hold instead of through a require hook: `enabled: false` keeps it
  // from installing one. Only statements inside a traced request or event: the relay's and the
  // workers' polling would otherwise be most of the spans.
  const pgTracing = new PgInstrumentation({ enabled: false, requireParentSpan: true });
  pgTracing.setTracerProvider(provider);
  for (const definition of pgTracing.getModuleDefinitions()) {
    if (definition.name === "pg") definition.patch?.(pg);
    // pg.Pool extends pg-pool's Pool; patching that prototype covers the pools pg makes.
    if (definition.name === "pg-pool") definition.patch?.(Object.getPrototypeOf(pg.Pool));
  }

  const http = new FastifyOtelInstrumentation({
    // Hook spans (auth, rate limit, headers) would triple the spans of a request for little insight.
    instrumentHooks: false,
    // An exception event carries the error's message and stack: a client's mistake is no
    // exception of ours, and a server error's message can quote SQL parameters.
    recordExceptions: false,
    ignorePaths: (route) => UNTRACED_PATHS.test(route.url),
    // The HTTP server conventions: `{method} {route}` (the method alone when no route matched),
    // and where the request arrived. No client address: a patient's IP address is personal data,
    // which the request log leaves out too.
    requestHook: (span, request) => {
      const route = request.routeOptions.url;
      span.updateName(route ? `${request.method} ${route}` : request.method);
      span.setAttributes({
        "url.scheme": request.protocol,
        "server.address": request.hostname,
        ...(request.port ? { "server.port": request.port } : {}),
        "network.protocol.version": request.raw.httpVersion,
      });
    },
  });
  http.setTracerProvider(provider);

  return {
    httpPlugin: http.plugin() as unknown as FastifyPluginCallback,
    untraced: (work) => context.with(context.active().setValue(SUPPRESS_TRACING, true), work),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The HTTP server conventions' status: a 4xx is the client's mistake, not the server's, so the
 * span's status stays unset (@fastify/otel marks every thrown error, 4xx included, as ERROR); a
 * 5xx is ERROR with `error.type` = the status, and no message (an error's message can quote what
 * was sent). Runs on the span before it is exported.
 */
const serverSpanStatus = {
  onStart(): void {},
  onEnd(span: { kind: number; attributes: Record<string, unknown>; status: { code: number; message?: string } }): void {
    if (span.kind !== SpanKind.SERVER) return;
    const status = Number(span.attributes["http.response.status_code"]);
    if (!Number.isInteger(status)) return;
    const mutable = span as { status: { code: number; message?: string } };
    if (status >= 500) {
      mutable.status = { code: SpanStatusCode.ERROR };
      span.attributes["error.type"] ??= String(status);
    } else {
      mutable.status = { code: SpanStatusCode.UNSET };
    }
  },
  forceFlush: async (): Promise<void> => undefined,
  shutdown: async (): Promise<void> => undefined,
};

/** URL attributes that may carry a query string (semantic conventions, old and new names). */
const URL_ATTRIBUTES = ["url.path", "url.full", "url.query", "http.target", "http.url"];

/**
 * Query strings never leave the process in a span: list filters carry patient ids, the patient
 * search carries a typed name, and `/join?token=` a credential (the request log strips them too).
 * Runs before the exporting processor, on the span's own attributes, at start and at end.
 */
const withoutQueryStrings = {
  onStart(span: { attributes?: Record<string, unknown> }): void {
    stripQueries(span.attributes);
  },
  onEnd(span: { attributes: Record<string, unknown> }): void {
    stripQueries(span.attributes);
  },
  forceFlush: async (): Promise<void> => undefined,
  shutdown: async (): Promise<void> => undefined,
};

function stripQueries(attributes: Record<string, unknown> | undefined): void {
  if (!attributes) return;
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (key === "url.query" && value !== undefined) delete attributes[key];
    else if (typeof value === "string" && value.includes("?")) attributes[key] = value.slice(0, value.indexOf("?"));
  }
}

