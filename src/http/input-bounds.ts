import underPressure from "@fastify/under-pressure";
import type { FastifyInstance } from "fastify";
import { problem } from "./problem.js";

/**
 * Schema validation runs with `allErrors` so a client sees every wrong field at once. That makes
 * its cost (and the error list) grow with the input: 300,000 empty array items or 105,000 extra
 * keys in a 1 MiB body gave a 49 MB answer and stalled the event loop. Before Ajv sees a body or
 * query, this walk refuses any input larger than the largest legitimate one (no schema allows
 * more than 50 items or 30 keys); the walk stops at the first excess, so it costs O(limit).
 */
export const INPUT_BOUNDS = { maxArrayItems: 100, maxObjectKeys: 100, maxNodes: 5_000, maxDepth: 16 } as const;

export function exceedsInputBounds(value: unknown): string | null {
  let nodes = 0;
  const walk = (v: unknown, depth: number, path: string): string | null => {
    if (++nodes > INPUT_BOUNDS.maxNodes) return `more than ${INPUT_BOUNDS.maxNodes} values`;
    if (depth > INPUT_BOUNDS.maxDepth) return `nested deeper than ${INPUT_BOUNDS.maxDepth} at ${path || "/"}`;
    if (Array.isArray(v)) {
      if (v.length > INPUT_BOUNDS.maxArrayItems) return `more than ${INPUT_BOUNDS.maxArrayItems} items at ${path || "/"}`;
      for (let i = 0; i < v.length; i++) {
        const bad = walk(v[i], depth + 1, `${path}/${i}`);
        if (bad) return bad;
      }
    } else if (v !== null && typeof v === "object" && !Buffer.isBuffer(v)) {
      let keys = 0;
      for (const key in v) {
        if (++keys > INPUT_BOUNDS.maxObjectKeys) return `more than ${INPUT_BOUNDS.maxObjectKeys} keys at ${path || "/"}`;
        const bad = walk((v as Record<string, unknown>)[key], depth + 1, `${path}/${keys - 1}`);
        if (bad) return bad;
      }
    }
    return null;
  };
  return walk(value, 0, "");
}

export interface PressureOptions {
  /** Event-loop delay (ms) above which requests are shed with 503 (0: off). */
  maxEventLoopDelayMs: number;
}

/** Installs the input bound on every route and load shedding on all but the liveness probe. */
export async function installInputBounds(app: FastifyInstance, options: PressureOptions): Promise<void> {
  app.addHook("preValidation", (req, reply, done) => {
    const bad = exceedsInputBounds(req.query) ?? (req.body === undefined ? null : exceedsInputBounds(req.body));
    // Answered here, so the request goes no further (Fastify's rule for a hook that sends).
    if (bad) void reply.code(400).type("application/problem+json").send(problem(400, "VALIDATION_FAILED", `the request has ${bad}`));
    else done();
  });
  if (options.maxEventLoopDelayMs <= 0) return;
  // A lagging event loop means every request, /healthz included, waits: shed work early with a
  // cheap 503 (Retry-After) instead of queueing more. Liveness opts out (see system-routes.ts):
  // restarting a replica because it is busy would only move the load.
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    retryAfter: 5,
    // Its FST_UNDER_PRESSURE error becomes 503 SERVICE_OVERLOADED in problem.ts.
  });
}
