import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError } from "../domain/errors.js";
import { errorResponses } from "../platform/schemas.js";

/** Requests per minute for each kind of caller (0: that limit is off). */
export interface RateLimits {
  /** Per client address, on routes nobody authenticated for (join validate, a body-token report). */
  anonymousPerMinute: number;
  /** Per join token, on the patient routes (status poll, bandwidth, async submit). */
  participantPerMinute: number;
  /** Per tenant, on staff routes: one tenant cannot starve the others. */
  tenantPerMinute: number;
}

const hash = (token: string) => createHash("sha256").update(token).digest("base64url").slice(0, 22);

/**
 * Counting runs at preParsing: staff auth (onRequest) has set the actor by then, and a refused
 * request never reads its body. Counters live in this replica's memory: with N replicas behind a
 * balancer a caller gets up to N times the limit (docs/security.md: a shared store is the next step).
 */
export async function installRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  const keyOf = (req: FastifyRequest): string => {
    if (req.actor?.kind === "staff") return `tenant:${req.actor.tenantId}`;
    const joinToken = req.headers["x-join-token"];
    if (typeof joinToken === "string" && joinToken.length > 0) return `token:${hash(joinToken)}`;
    return `ip:${req.ip}`;
  };
  const maxOf = (key: string): number =>
    key.startsWith("tenant:") ? limits.tenantPerMinute : key.startsWith("token:") ? limits.participantPerMinute : limits.anonymousPerMinute;
  // Every counted route may answer 429: say so in its OpenAPI responses.
  app.addHook("onRoute", (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.url.startsWith("/v1/") && response && !response[429]) Object.assign(response, { 429: errorResponses(429)[429] });
  });
  await app.register(rateLimit, {
    global: true,
    hook: "preParsing",
    timeWindow: 60_000,
    keyGenerator: keyOf,
    max: (_req, key) => maxOf(key) || Number.MAX_SAFE_INTEGER,
    // Operations endpoints and docs are not counted; nor is a kind whose limit is off.
    allowList: (req, key) => !(req.url ?? "").startsWith("/v1/") || maxOf(key) === 0,
    errorResponseBuilder: (_req, context) =>
      Object.assign(new DomainError("RATE_LIMITED", `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: 429 }),
  });
}
