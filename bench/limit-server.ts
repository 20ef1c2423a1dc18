/**
 * The limit: a bare Fastify app on raw `pg` (pool of the service's size) whose routes send the
 * same SQL as the service's routes, with no auth, schemas, domain or ORM. Run by the bench as a
 * child process, like the service: `node --import tsx bench/limit-server.ts`.
 */
import Fastify from "fastify";
import pg from "pg";
import { scenarios } from "./scenarios.js";

// Pipeline mode, as the service's tenant pool (connection.ts): the limit sends the same statements the same way.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10), pipeline: true });
pool.on("error", () => undefined);
/** As the service's system pool (connection.ts): `app.system=on`, for the read audit's batch INSERT. */
const system = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Math.max(2, Math.ceil(Number(process.env.POOL_SIZE ?? 10) / 2)), options: "-c app.system=on" });
system.on("error", () => undefined);
const app = Fastify({ logger: false });
const skipAudit = process.env.SKIP_AUDIT === "1";
/** LEAST=1: the least-work routes (bench/least-work.ts) instead of the service's statements. */
const least = process.env.LEAST === "1";

app.get("/healthz", async () => ({ status: "ok" }));
for (const scenario of scenarios) {
  const { method, url, status } = scenario.limit;
  const handle = least ? scenario.least : scenario.limit.handle;
  app.route({
    method,
    url,
    handler: async (req, reply) => {
      const result = await handle(pool, {
        tenantId: String(req.headers["x-bench-tenant"] ?? ""),
        params: (req.params ?? {}) as Record<string, string>,
        query: (req.query ?? {}) as Record<string, string>,
        headers: req.headers,
        body: (req.body ?? {}) as Record<string, unknown>,
        skipAudit,
        system,
      });
      return reply.code(status ?? 200).send(result);
    },
  });
}

await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? "127.0.0.1" });
process.once("SIGTERM", () => {
  void app.close().then(() => Promise.all([pool.end(), system.end()])).finally(() => process.exit(0));
});
