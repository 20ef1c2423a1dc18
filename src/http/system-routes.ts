import type { FastifyInstance } from "fastify";
import type { HttpMetrics } from "./metrics.js";
import { json, problems } from "./openapi/responses.js";
import { problem } from "./problem.js";
import { metricsAllowed } from "./security-headers.js";

/**
 * Operations routes, documented (tag `operations`) so that a generated client and the people
 * running the service see them, and marked `security: []`: probes and scrapers hold no token.
 */
const tags = ["operations"];
const open: Array<Record<string, string[]>> = [];
/** A response map whose handler answers other statuses than its first (typed by number, not by key). */
const answers = (responses: Record<number, unknown>) => responses;
const status = (value: string, description: string) =>
  json({ type: "object", properties: { status: { type: "string", const: value } }, required: ["status"] }, description, { example: { status: value } });

export function systemRoutes(deps: { ready: () => Promise<void>; draining: () => boolean; metrics: HttpMetrics; metricsToken?: string; trustProxyHops?: number }) {
  return async (app: FastifyInstance) => {
    app.get(
      "/healthz",
      // Liveness is not shed under load (input-bounds.ts): a busy replica is alive.
      {
        schema: {
          tags,
          security: open,
          operationId: "getLiveness",
          summary: "Liveness: the process answers",
          description: "Never shed under load and never touches the database: restart the replica only when this fails.",
          response: { 200: status("ok", "The process is alive") },
        },
        config: { pressureHandler: () => undefined },
      },
      async () => ({ status: "ok" }),
    );
    app.get(
      "/readyz",
      {
        schema: {
          tags,
          security: open,
          operationId: "getReadiness",
          summary: "Readiness: 200 only when the database answers and the replica is not shutting down",
          description:
            "The database must answer within `READINESS_TIMEOUT_MS`. While the replica drains after SIGTERM this answers 503 " +
            "`SERVICE_SHUTTING_DOWN`, so the load balancer stops sending it requests.",
          response: answers({ 200: status("ready", "Ready for traffic"), ...problems("DATABASE_UNAVAILABLE", "SERVICE_SHUTTING_DOWN") }),
        },
      },
      async (_req, reply) => {
        // A draining replica leaves the load balancer's rotation at once, though it still serves.
        if (deps.draining()) {
          return reply.code(503).type("application/problem+json").send(problem(503, "SERVICE_SHUTTING_DOWN", "this replica is shutting down"));
        }
        try {
          await deps.ready();
          return { status: "ready" };
        } catch {
          // As documented (docs/operations.md "Readiness"), with the same Retry-After as requests get.
          return reply
            .code(503)
            .header("retry-after", "5")
            .type("application/problem+json")
            .send(problem(503, "DATABASE_UNAVAILABLE", "the database does not answer"));
        }
      },
    );
    app.get(
      "/metrics",
      {
        schema: {
          tags,
          security: [{ metricsToken: [] }, {}],
          operationId: "getMetrics",
          summary: "Prometheus metrics (text exposition format)",
          description: "Needs `METRICS_TOKEN` as a bearer token when that is set; otherwise answers loopback clients only.",
          response: answers({
            200: {
              description: "Prometheus text format 0.0.4",
              content: {
                "text/plain": {
                  schema: { type: "string" },
                  example: "# HELP vcs_http_requests_total HTTP requests\n# TYPE vcs_http_requests_total counter\nvcs_http_requests_total{method=\"GET\",route=\"/v1/join/status\",status=\"200\"} 1042\n",
                },
              },
            },
            ...problems("UNAUTHENTICATED"),
          }),
        },
      },
      async (req, reply) => {
        if (!metricsAllowed(req, deps.metricsToken, deps.trustProxyHops)) {
          return reply
            .code(401)
            .header("www-authenticate", 'Bearer realm="metrics"')
            .type("application/problem+json")
            .send(problem(401, "UNAUTHENTICATED", "send the metrics token (METRICS_TOKEN) as a bearer token"));
        }
        return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    );
    app.get(
      "/openapi.json",
      {
        schema: {
          tags,
          security: open,
          operationId: "getOpenApiDocument",
          summary: "This OpenAPI 3.1 document",
          description: "Generated from the route schemas; `info.version` is the API version (and the TypeScript client's).",
          response: {
            200: json({ type: "object", additionalProperties: true }, "The OpenAPI document", { example: { openapi: "3.1.0", info: { title: "Virtual Care Service", version: "1.1.0" }, paths: {} } }),
          },
        },
      },
      async () => app.swagger(),
    );
  };
}
