import type { FastifyInstance } from "fastify";
import type { HttpMetrics } from "./metrics.js";
import { problem } from "./problem.js";

export function systemRoutes(deps: { ready: () => Promise<void>; draining: () => boolean; metrics: HttpMetrics }) {
  return async (app: FastifyInstance) => {
    const hide = { hide: true };
    app.get("/healthz", { schema: { ...hide } }, async () => ({ status: "ok" }));
    app.get("/readyz", { schema: { ...hide } }, async (_req, reply) => {
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
    });
    app.get("/metrics", { schema: { ...hide } }, async (_req, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
    );
    app.get("/openapi.json", { schema: { ...hide } }, async () => app.swagger());
  };
}
