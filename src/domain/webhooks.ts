import { EventTypes, type EventType } from "./events.js";

/**
 * Webhooks by the Standard Webhooks specification (issue 21 item 3): a tenant names endpoints in
 * its config, each with the event types it wants and a signing secret; every committed outbox
 * event of those types becomes one delivery per endpoint, retried on a schedule until the
 * receiver answers 2xx. What is decided here is pure: which events may be subscribed, the retry
 * schedule, when an endpoint is given up on.
 */
export interface WebhookEndpoint {
  /** Unique in the tenant; keeps the secret across PUTs and names the endpoint in the delivery log. */
  name: string;
  /** https (http only where the operator allows private receivers); never logged or put in events. */
  url: string;
  /** The event types delivered to it. */
  eventTypes: EventType[];
  /** The `whsec_…` signing secret, envelope-encrypted (SecretStorePort). */
  secretEnvelope: string;
}

/** Every published domain event may be subscribed; audit records are not webhooks (they go to AUDIT). */
export const WEBHOOK_EVENT_TYPES: readonly EventType[] = Object.values(EventTypes);

export const WEBHOOK_LIMITS = { endpoints: 10 } as const;

/** A Standard Webhooks symmetric secret: `whsec_` and the base64 of 24 to 64 random bytes. */
export const WEBHOOK_SECRET_PATTERN = "^whsec_[A-Za-z0-9+/]{32,88}={0,2}$";

/**
 * The Standard Webhooks example schedule (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 14 h, 20 h, 24 h: ten attempts over about three days). The delay before attempt n+1.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000];

/**
 * When attempt `attempts` (1-based, just failed) is retried: null once the schedule is used up.
 * Up to a fifth is added at random so a receiver's recovery is not met by every retry at once; a
 * receiver's Retry-After is honoured when it asks for longer (capped at the schedule's last step).
 */
export function nextAttemptDelay(attempts: number, schedule: readonly number[], random: number, retryAfterMs: number | null): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + random / 5));
  const ceiling = schedule[schedule.length - 1] ?? base;
  return retryAfterMs !== null && retryAfterMs > jittered ? Math.min(retryAfterMs, ceiling) : jittered;
}

/** What one attempt came to: a 2xx is delivered, anything else (3xx, 4xx, 5xx, no answer) failed. */
export type AttemptOutcome = { kind: "answered"; status: number; retryAfterMs: number | null } | { kind: "unreachable"; reason: string };

export const isDelivered = (o: AttemptOutcome): boolean => o.kind === "answered" && o.status >= 200 && o.status < 300;

/** 410 Gone: the receiver says it no longer wants webhooks (Standard Webhooks: disable the endpoint). */
export const isGone = (o: AttemptOutcome): boolean => o.kind === "answered" && o.status === 410;

/**
 * An endpoint is given up on (disabled) when a delivery used up its whole schedule while nothing
 * else reached the endpoint since that delivery was first tried: the endpoint has failed for the
 * whole schedule (about three days), not one message it refuses. Or at once on 410 Gone.
 */
export function shouldDisable(o: AttemptOutcome, exhausted: boolean, failingSince: Date | null, firstAttemptAt: Date): boolean {
  if (isGone(o)) return true;
  return exhausted && failingSince !== null && failingSince.getTime() <= firstAttemptAt.getTime();
}

/** A short, PHI-free note of a failed attempt for the delivery log. */
export function attemptNote(o: AttemptOutcome): string {
  return o.kind === "answered" ? `HTTP ${o.status}` : o.reason;
}
