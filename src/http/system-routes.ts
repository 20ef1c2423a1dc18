import type { FastifyInstance } from "fastify";
import type { HttpMetrics } from "./metrics.js";
import { problem } from "./problem.js";

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

export function systemRoutes(deps: { ready: () => Promise<void>; draining: () => boolean; metrics: HttpMetrics }) {
  return async (app: FastifyInstance) => {
    app.get(
      "/healthz",
      { schema: { tags, security: open, operationId: "getLiveness", summary: "Liveness: the process answers", response: { 200: status("ok") } } },
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
          response: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
      async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
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
