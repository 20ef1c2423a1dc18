import type { WebhookEndpoint } from "../../domain/webhooks.js";
import type { Delivery, DeliveryStatus, EndpointState } from "./ports.js";

/** An endpoint as its admin reads it: the config's part (no secret) and how delivery to it goes. */
export function endpointView(w: WebhookEndpoint, state: EndpointState | undefined, counts: Partial<Record<DeliveryStatus, number>>) {
  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  return {
    name: w.name,
    url: w.url,
    eventTypes: [...w.eventTypes],
    status: state?.disabledAt ? ("disabled" as const) : ("active" as const),
    disabledAt: iso(state?.disabledAt),
    disabledReason: state?.disabledReason ?? null,
    failingSince: iso(state?.failingSince),
    lastSuccessAt: iso(state?.lastSuccessAt),
    lastFailureAt: iso(state?.lastFailureAt),
    deliveries: { pending: counts.pending ?? 0, delivered: counts.delivered ?? 0, failed: counts.failed ?? 0, cancelled: counts.cancelled ?? 0 },
  };
}

/** One line of the delivery log: never the body (it may name patients), only what happened to it. */
export function deliveryView(d: Delivery) {
  const iso = (x: Date | null) => x?.toISOString() ?? null;
  return {
    id: d.id,
    endpoint: d.endpoint,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    firstAttemptAt: iso(d.firstAttemptAt),
    lastAttemptAt: iso(d.lastAttemptAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: iso(d.deliveredAt),
  };
}

export type EndpointView = ReturnType<typeof endpointView>;
export type DeliveryView = ReturnType<typeof deliveryView>;
