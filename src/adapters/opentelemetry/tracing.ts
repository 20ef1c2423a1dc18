/**
 * OpenTelemetry tracing, exported by OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads
 * the standard OTEL_EXPORTER_OTLP_* settings itself). Loaded only when that setting is present:
 * without it this module is never imported and `@opentelemetry/api` stays a no-op.
 */
import type { FastifyPluginCallback } from "fastify";
import pg from "pg";

export interface Tracing {
  /** Registered before any route: one SERVER span per request, continuing an incoming `traceparent`. */
  httpPlugin: FastifyPluginCallback;
  /** Sends the spans still buffered; the service calls it last when it shuts down. */
  shutdown(): Promise<void>;
}

/** Paths polled by the platform: a span each would drown the requests an operator looks for. */
const UNTRACED_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

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
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
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
    ignorePaths: (route) => UNTRACED_PATHS.test(route.url),
  });
  http.setTracerProvider(provider);

  return {
    httpPlugin: http.plugin() as unknown as FastifyPluginCallback,
    shutdown: () => provider.shutdown(),
  };
}
