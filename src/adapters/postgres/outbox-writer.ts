import { randomUUID } from "node:crypto";
import type { Clock, OutboxWriter } from "../../platform/ports.js";
import type { DomainEvent } from "../../domain/events.js";
import { currentTraceparent } from "../opentelemetry/trace-context.js";
import type { Db } from "./database.js";
import { placeholders, StatementCache, suffixed } from "./built-statement.js";
import { outbox } from "./schema.js";
import type { CommitNotes } from "./commit-notes.js";

/** One INSERT text per number of events (built-statement.ts); batches this large are rare. */
const statements = new StatementCache();
const MAX_CACHED_ROWS = 8;

/**
 * The producer half of the transactional outbox: rows are written with the caller's transaction.
 * They are held until the unit of work's work is done and then written as ONE INSERT just before
 * the commit (`flush`): a command's events and its audit row cost one round trip, not one each
 * (issue 14). Nothing reads the outbox inside the transaction that writes it, and the rows keep
 * the order they were added in (the INSERT's row order is the `seq` order the relay publishes in).
 */
export class PostgresOutboxWriter implements OutboxWriter {
  private pending: OutboxRow[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly notes?: CommitNotes,
  ) {}

  async add(events: DomainEvent[]): Promise<void> {
    const now = this.clock.now();
    for (const e of events) this.addRow(outboxRow(e, now));
  }

  addRow(row: OutboxRow): void {
    this.notes?.outboxWritten();
    this.pending.push(row);
  }

  /** Writes what was added; the unit of work calls it once its work is done, inside the transaction. */
  async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return;
    if (rows.length > MAX_CACHED_ROWS) {
      await this.db.insert(outbox).values(rows).onConflictDoNothing({ target: outbox.id });
      return;
    }
    const values: Record<string, unknown> = {};
    rows.forEach((r, i) => suffixed(r, `_${i}`, values));
    await statements.run(
      this.db,
      `vcs_outbox_insert_${rows.length}`,
      (db) => db.insert(outbox).values(rows.map((r, i) => placeholders(r, `_${i}`))).onConflictDoNothing({ target: outbox.id }),
      values,
    );
  }
}

export type OutboxRow = ReturnType<typeof outboxRow>;

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
    traceparent: currentTraceparent(),
  };
}
