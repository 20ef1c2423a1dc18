import type { FastifyInstance } from "fastify";
import type { HttpMetrics } from "./metrics.js";
import { problem } from "./problem.js";
import { metricsAllowed } from "./security-headers.js";

export function systemRoutes(deps: { ready: () => Promise<void>; draining: () => boolean; metrics: HttpMetrics; metricsToken?: string }) {
  return async (app: FastifyInstance) => {
    const hide = { hide: true };
    // Liveness is not shed under load (input-bounds.ts): a busy replica is alive.
    app.get("/healthz", { schema: { ...hide }, config: { pressureHandler: () => undefined } }, async () => ({ status: "ok" }));
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
    app.get("/metrics", { schema: { ...hide } }, async (req, reply) => {
      if (!metricsAllowed(req, deps.metricsToken)) {
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="metrics"')
          .type("application/problem+json")
          .send(problem(401, "UNAUTHENTICATED", "send the metrics token (METRICS_TOKEN) as a bearer token"));
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
    app.get("/openapi.json", { schema: { ...hide } }, async () => app.swagger());
  };
}
