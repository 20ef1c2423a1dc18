import { randomUUID } from "node:crypto";
import type { Clock, OutboxWriter } from "../../app/ports.js";
import type { DomainEvent } from "../../domain/events.js";
import type { Db } from "./database.js";
import { outbox } from "./schema.js";

/** The producer half of the transactional outbox: rows are written with the caller's transaction. */
export class PostgresOutboxWriter implements OutboxWriter {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async add(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.clock.now();
    await this.db
      .insert(outbox)
      .values(
        events.map((e) => outboxRow(e, now)),
      )
      .onConflictDoNothing({ target: outbox.id });
  }
}

/** An event as an outbox row; the row id is the CloudEvent id the relay publishes under. */
export function outboxRow(e: DomainEvent, now: Date) {
  return {
    id: e.id ?? randomUUID(),
    tenantId: e.tenantId,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    type: e.type,
    data: e.data,
    occurredAt: e.time ?? now,
  };
}
