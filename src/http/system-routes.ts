import type { FastifyInstance } from "fastify";
import type { HttpMetrics } from "./metrics.js";
import { problem } from "./problem.js";
import { metricsAllowed } from "./security-headers.js";

/**
 * Operations routes, documented (tag `operations`) so that a generated client and the people
 * running the service see them, and marked `security: []`: probes and scrapers hold no token.
 */
const tags = ["operations"];
const open: Array<Record<string, string[]>> = [];
const status = (value: string) => ({
  type: "object",
  properties: { status: { type: "string", const: value } },
  required: ["status"],
});
const problemAnswer = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "Problem" } } },
});

export function systemRoutes(deps: { ready: () => Promise<void>; draining: () => boolean; metrics: HttpMetrics; metricsToken?: string }) {
  return async (app: FastifyInstance) => {
    app.get(
      "/healthz",
      // Liveness is not shed under load (input-bounds.ts): a busy replica is alive.
      {
        schema: { tags, security: open, operationId: "getLiveness", summary: "Liveness: the process answers", response: { 200: status("ok") } },
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
          response: { 200: status("ready"), 503: problemAnswer("The database does not answer, or the replica is draining") },
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
          return reply.code(503).type("application/problem+json").send(problem(503, "INTERNAL", "the database does not answer"));
        }
      },
    );
    app.get(
      "/metrics",
      {
        schema: {
          tags,
          security: open,
          operationId: "getMetrics",
          summary: "Prometheus metrics (text exposition format)",
          description: "Needs `METRICS_TOKEN` as a bearer token when that is set; otherwise answers loopback clients only.",
          response: {
            200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: { type: "string" } } } },
            401: problemAnswer("Not the metrics token, or not a loopback client"),
          },
        },
      },
      async (req, reply) => {
        if (!metricsAllowed(req, deps.metricsToken)) {
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
          response: { 200: { description: "The OpenAPI document", content: { "application/json": { schema: { type: "object", additionalProperties: true } } } } },
        },
      },
      async () => app.swagger(),
    );
  };
}
