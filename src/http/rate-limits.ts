import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError } from "../domain/errors.js";
import { isWarmUp } from "./warm-up.js";

/** Requests per minute for each kind of caller (0: that limit is off). */
export interface RateLimits {
  /** Per client address, on routes nobody authenticated for (join validate, a body-token report). */
  anonymousPerMinute: number;
  /** Per join token, on the patient routes (status poll, bandwidth, async submit). */
  participantPerMinute: number;
  /** Per tenant, on staff routes: one tenant cannot starve the others. */
  tenantPerMinute: number;
}

/**
 * Who the request's `X-Join-Token` speaks for, when its signature verifies (expired or not: the
 * identity is still proven); null for anything else. Keyed on the participant, not the token
 * string, so tokens a participant refreshes share its one budget. Verified once per request, for
 * the limiter and the route alike (participant-auth.ts).
 */
export type JoinTokenIdentity = (req: FastifyRequest) => { actor: { tenantId: string; sessionId: string; participantId: string } } | null;

const hash = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 22);

/**
 * Counting runs at preParsing: staff auth (onRequest) has set the actor by then, and a refused
 * request never reads its body. Counters live in this replica's memory: with N replicas behind a
 * balancer a caller gets up to N times the limit (docs/security.md: a shared store is the next step).
 */
export async function installRateLimits(app: FastifyInstance, limits: RateLimits, identify: JoinTokenIdentity): Promise<void> {
  // Only a verified identity or the client address is a key (issue 20): an unverified header
  // chosen by the caller would otherwise open a fresh bucket per request.
  const keyOf = (req: FastifyRequest): string => {
    if (req.actor?.kind === "staff") return `tenant:${req.actor.tenantId}`;
    const who = identify(req)?.actor;
    if (who) return `token:${hash(`${who.tenantId}/${who.sessionId}/${who.participantId}`)}`;
    return `ip:${req.ip}`;
  };
  const maxOf = (key: string): number =>
    key.startsWith("tenant:") ? limits.tenantPerMinute : key.startsWith("token:") ? limits.participantPerMinute : limits.anonymousPerMinute;
  // Every counted route may answer 429 with these headers: the OpenAPI document says so (openapi/complete-document.ts).
  await app.register(rateLimit, {
    global: true,
    hook: "preParsing",
    timeWindow: 60_000,
    keyGenerator: keyOf,
    max: (_req, key) => maxOf(key) || Number.MAX_SAFE_INTEGER,
    // Operations endpoints and docs are not counted; nor is a kind whose limit is off, nor the warm-up.
    allowList: (req, key) => !(req.url ?? "").startsWith("/v1/") || maxOf(key) === 0 || isWarmUp(req),
    errorResponseBuilder: (_req, context) =>
      Object.assign(new DomainError("RATE_LIMITED", `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: 429 }),
  });
}
