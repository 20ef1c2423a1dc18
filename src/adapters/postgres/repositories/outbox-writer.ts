import { randomUUID } from "node:crypto";
import type { Clock, OutboxWriter } from "../../../platform/ports.js";
import type { DomainEvent } from "../../../domain/events.js";
import { currentTraceparent } from "../../opentelemetry/trace-context.js";
import type { Db } from "../connection/database.js";
import { placeholders, StatementCache, suffixed } from "../connection/built-statement.js";
import { untilCommit } from "../connection/pipelined-transaction.js";
import { sql, type Placeholder, type SQL } from "drizzle-orm";
import { outbox, tenantConfigs } from "../schema.js";
import type { CommitNotes } from "../signals/commit-notes.js";

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

  /**
   * Writes what was added; the unit of work calls it once its work is done, inside the
   * transaction. A domain event is marked webhook-pending only when an endpoint of its tenant
   * subscribes to its type, decided in the INSERT from the tenant's config as this transaction
   * sees it: the fan-out never looks at the others (issue 23: it cost a fan-out per create).
   */
  async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return;
    const pendingFor = (r: OutboxRow, tenantId: SQL | Placeholder | string, type: SQL | Placeholder | string) => (r.webhookPending ? subscribed(tenantId, type) : false);
    // Nothing waits for the INSERT's answer: on a pipelined transaction it travels with the COMMIT.
    let write: Promise<unknown>;
    if (rows.length > MAX_CACHED_ROWS) {
      const values = rows.map((r) => ({ ...r, webhookPending: pendingFor(r, r.tenantId, r.type) }));
      write = this.db.insert(outbox).values(values).onConflictDoNothing({ target: outbox.id }).returning({ webhook_pending: outbox.webhookPending }).execute();
    } else {
      const values: Record<string, unknown> = {};
      rows.forEach((r, i) => suffixed(r, `_${i}`, values));
      // One text per row count and kind (event or audit row).
      const shape = rows.map((r) => (r.webhookPending ? "e" : "a")).join("");
      write = statements.run(
        this.db,
        `vcs_outbox_insert_${shape}`,
        (db) =>
          db
            .insert(outbox)
            .values(rows.map((r, i) => ({ ...placeholders(r, `_${i}`), webhookPending: pendingFor(r, sql.placeholder(`tenantId_${i}`), sql.placeholder(`type_${i}`)) })))
            .onConflictDoNothing({ target: outbox.id })
            .returning({ webhook_pending: outbox.webhookPending }),
        values,
      );
    }
    const noted = write.then((result) => {
      const returned = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
      if ((returned as Array<{ webhook_pending?: boolean }>).some((r) => r.webhook_pending === true)) this.notes?.webhookEventsWritten();
    });
    await untilCommit(this.db, noted);
  }
}

export type OutboxRow = ReturnType<typeof outboxRow>;

/** True when an endpoint in the tenant's config subscribes to the event type (tenant-config.ts `webhooks`). */
function subscribed(tenantId: SQL | Placeholder | string, type: SQL | Placeholder | string): SQL {
  // Containment, not jsonb_array_elements: a config whose `webhooks` is not an array matches nothing instead of failing the INSERT.
  return sql`exists (select 1 from ${tenantConfigs} c where c.tenant_id = ${tenantId} and c.config -> 'webhooks' @> jsonb_build_array(jsonb_build_object('eventTypes', jsonb_build_array(${type}::text))))`;
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
    traceparent: currentTraceparent(),
    // Domain events may be some endpoint's webhooks (the INSERT decides, flush()); audit records never are.
    webhookPending: e.aggregateType !== "audit",
  };
}
