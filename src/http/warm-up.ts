import type { FastifyInstance } from "fastify";
import type pg from "pg";

/**
 * Before the first listen (cold start): every pool connection is opened now (TCP, auth, session
 * settings), not by the first requests, and the request path runs a few hundred times without
 * side effects (routing, validation, the token check, problem+json), so V8 has compiled it when
 * traffic arrives. From a documentation address (RFC 5737): no real client's rate limit is spent.
 */
export async function warmUp(app: FastifyInstance, pool: pg.Pool | null, poolSize: number): Promise<void> {
  if (pool) await Promise.all(Array.from({ length: poolSize }, () => pool.query("select 1")));
  for (let i = 0; i < 300; i++) {
    await app.inject({ method: "POST", url: "/v1/join/validate", payload: { token: "warm-up" }, remoteAddress: "192.0.2.1" });
  }
}
