/** Ports of the background workers: the outbox table as the relay sees it, the broker, the database clock. */

/** A committed outbox row on its way to the broker; `id` is the CloudEvent id. */
export interface OutboxMessage {
  id: string;
  /** Position in the outbox table: the relay publishes in this order. */
  seq: number;
  tenantId: string;
  aggregateType: string;
  aggregateId: string;
  /** The CloudEvent type, which is also the subject it is published on. */
  type: string;
  data: Record<string, unknown>;
  occurredAt: Date;
  /** W3C trace context of the write (null when it was not traced): published as `traceparent`. */
  traceparent: string | null;
}

/** Publishes outbox events (NATS JetStream, or the dev log sink without NATS). */
export interface EventPublisherPort {
  /**
   * Resolves once the broker has stored the event; a re-publish of the same id is dropped by the
   * broker as a duplicate and also resolves. Rejects when the event was not (known to be) stored.
   */
  publish(message: OutboxMessage): Promise<void>;
  /**
   * Where events of this type go (the stream): the relay holds back a destination that refuses
   * everything, and counts failures by it. Absent: one destination for every type.
   */
  destinationOf?(type: string): string;
  close(): Promise<void>;
}

/** The relay's view of the outbox table. */
export interface OutboxRelayStore {
  /** True while this process may relay; at most one replica holds it at a time. */
  acquire(): Promise<boolean>;
  /** The oldest unpublished rows, in commit (seq) order, leaving out what `filter` names. */
  pending(limit: number, filter?: PendingFilter): Promise<OutboxMessage[]>;
  markPublished(ids: string[], at: Date): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
  /** Resolves when new rows were committed (`wake`, or where the database can tell) or after `ms`. */
  waitForWork(ms: number, signal: AbortSignal): Promise<void>;
  /** Rows were committed (told in process): ends the current wait, or makes the next one return at once. */
  wake(): void;
  release(): Promise<void>;
}

/** Rows a batch leaves out while their destination or their aggregate is held (relay-holds.ts). */
export interface PendingFilter {
  excludeTypes: string[];
  /** `aggregateType/aggregateId` keys (chainKey). */
  excludeAggregates: string[];
}

/** The database's clock: the one reference every replica shares (ages, outbox, audit times). */
export interface DatabaseClockPort {
  now(): Promise<Date>;
}
