/** Ports of the webhooks feature: the delivery store, the sender, the body renderer, the sealed secrets. */
import type { AttemptOutcome } from "../../domain/webhooks.js";
import type { CommandTx } from "../../platform/ports.js";
import type { OutboxMessage } from "../../platform/worker-ports.js";

export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled";
export const deliveryStatuses: readonly DeliveryStatus[] = ["pending", "delivered", "failed", "cancelled"];

/** One event for one endpoint, as stored (the delivery log's row). */
export interface Delivery {
  id: string;
  tenantId: string;
  endpoint: string;
  /** The outbox event id: the `webhook-id` of every attempt. */
  eventId: string;
  eventType: string;
  aggregateKey: string;
  seq: number;
  body: string;
  traceparent: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export type NewDelivery = Pick<Delivery, "id" | "tenantId" | "endpoint" | "eventId" | "eventType" | "aggregateKey" | "seq" | "body" | "traceparent" | "createdAt">;

/** What the dispatcher knows of one endpoint (none stored: it has never been tried). */
export interface EndpointState {
  tenantId: string;
  endpoint: string;
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  disabledAt: Date | null;
  disabledReason: "gone" | "failing" | null;
}

export interface WebhookStore {
  /**
   * The oldest domain events not yet fanned out, in commit (seq) order; null while another replica
   * fans out (one at a time, so an aggregate's deliveries are created in its order).
   */
  eventsToFanOut(limit: number): Promise<OutboxMessage[] | null>;
  addDeliveries(deliveries: NewDelivery[]): Promise<void>;
  markFannedOut(eventIds: string[]): Promise<void>;
  /**
   * Leases due deliveries that head their chain (nothing earlier of that endpoint and aggregate is
   * pending) and whose endpoint is not disabled, across tenants, skipping what another replica holds.
   */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]>;
  find(tenantId: string, id: string, options?: { lock?: boolean }): Promise<Delivery | null>;
  save(delivery: Delivery): Promise<void>;
  /** The endpoint's state, locked for this transaction; a fresh one when none is stored. */
  state(tenantId: string, endpoint: string): Promise<EndpointState>;
  saveState(state: EndpointState): Promise<void>;
  /** Makes the endpoint's pending deliveries due now (it was enabled again); how many. */
  resume(tenantId: string, endpoint: string, now: Date): Promise<number>;
}

export interface WebhooksTx extends CommandTx {
  webhooks: WebhookStore;
}

/** Posts one signed delivery (Standard Webhooks headers); never throws for what the receiver did. */
export interface WebhookSender {
  send(request: { url: string; secret: string; messageId: string; body: string; traceparent: string | null; at: Date }): Promise<AttemptOutcome>;
}

/** The body a receiver gets for an event: the same CloudEvent NATS consumers read. */
export interface WebhookBodies {
  render(event: OutboxMessage): string;
}

/** Opens a sealed webhook secret (the tenant config's SecretStorePort, seen from here). */
export interface SealedSecrets {
  open(envelope: string, context: string): Promise<string>;
}

/** The delivery log and the endpoints' health as the tenant's admins read them. */
export interface WebhookQueries {
  deliveries(tenantId: string, filter: { endpoint?: string; status?: DeliveryStatus; limit: number; after?: { createdAt: Date; id: string } }): Promise<Delivery[]>;
  states(tenantId: string): Promise<EndpointState[]>;
  /** Deliveries by endpoint and status. */
  counts(tenantId: string): Promise<Array<{ endpoint: string; status: DeliveryStatus; count: number }>>;
}
