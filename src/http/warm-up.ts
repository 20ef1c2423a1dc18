import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type pg from "pg";

/**
 * Marks the warm-up's own requests, with a value only this process knows: a client cannot send it
 * to keep its requests out of the metrics, the log or the rate limits.
 */
const WARM_UP_HEADER = "x-vcs-warm-up";
const WARM_UP_MARK = randomUUID();

/** True for a request the warm-up made: it is no traffic (no metric sample, log line or rate-limit count). */
export function isWarmUp(req: FastifyRequest): boolean {
  return req.headers[WARM_UP_HEADER] === WARM_UP_MARK;
}

/**
 * Before the first listen (cold start): every pool connection is opened now (TCP, auth, session
 * settings), not by the first requests, and the request path runs a few hundred times without
 * side effects (routing, validation, the token check, problem+json), so V8 has compiled it when
 * traffic arrives. Those requests are not traffic: they leave no metric sample, log line or
 * rate-limit count (isWarmUp), and run inside `untraced`, so no span is exported (issue 20,
 * item 12: 300 401s per deploy would trip the alerts).
 */
export async function warmUp(
  app: FastifyInstance,
  pool: pg.Pool | null,
  poolSize: number,
  untraced: (work: () => Promise<void>) => Promise<void> = (work) => work(),
): Promise<void> {
  // The connections are opened outside `untraced`: a socket keeps the async context it was born in.
  if (pool) await Promise.all(Array.from({ length: poolSize }, () => pool.query("select 1")));
  await untraced(() => exercise(app));
}

async function exercise(app: FastifyInstance): Promise<void> {
  for (let i = 0; i < 300; i++) {
    await app.inject({
      method: "POST",
      url: "/v1/join/validate",
      payload: { token: "warm-up" },
      remoteAddress: "192.0.2.1",
      headers: { [WARM_UP_HEADER]: WARM_UP_MARK },
    });
  }
}
