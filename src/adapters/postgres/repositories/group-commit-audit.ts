import { sql } from "drizzle-orm";
import { auditEvent } from "../../../platform/audit.js";
import type { AuditEntry, AuditPort, Clock } from "../../../platform/ports.js";
import { StatementCache } from "../connection/built-statement.js";
import type { Db } from "../connection/database.js";
import { outboxRow } from "./outbox-writer.js";

/**
 * The audit of everything that has no transaction of its own (reads, refusals at the edge), with
 * group commit: the rows of concurrent requests go to the database as ONE multi-row INSERT, one
 * commit, and each request's promise settles only when the INSERT holding its row committed. The
 * durability promise is the one-row-per-commit audit's (a read answers only once its audit row is
 * on disk); what it saves is a commit (WAL flush) and a round trip per read.
 *
 * Up to `maxInFlight` batches are written at once (fewer than the system pool's connections):
 * with one at a time, a batch waited for the previous one's commit, which made it slower than a
 * commit per read at ten concurrent requests (PostgreSQL already shares WAL flushes between
 * concurrent commits; BENCHMARKS.md has the A/B). A request starts a batch when one may start and
 * otherwise joins the queue the next batch takes, so batches grow only when the writers are busy,
 * and a lone read is written at once (no timer).
 * A failed INSERT rejects every request of its batch, as a failed single INSERT rejected its one.
 * A command's own audit stays in its transaction (`OutboxAudit` in unit-of-work.ts).
 */
export class GroupCommitAudit implements AuditPort {
  private queue: Array<{ row: AuditRow; settle: (err?: unknown) => void }> = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Called after each committed batch (e.g. to wake the outbox relay). */
    private readonly committed: () => void = () => undefined,
    private readonly maxRows = 500,
    private readonly maxInFlight = 3,
  ) {}

  record(entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    const row = outboxRow(auditEvent(entry, now), now);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (this.inFlight.size < this.maxInFlight) this.startWriter();
    });
  }

  /** Settles once every row handed in so far is committed (or failed): for shutdown. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private startWriter(): void {
    const writer = this.write().finally(() => {
      this.inFlight.delete(writer);
      // A row handed in after this writer's last look, while it still counted as in flight.
      if (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) this.startWriter();
    });
    this.inFlight.add(writer);
  }

  /** Writes batches while rows wait. */
  private async write(): Promise<void> {
    // The first await lets the requests of the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxRows);
      let failure: unknown;
      try {
        await insertRows(this.db, batch.map((b) => b.row));
      } catch (err) {
        failure = err ?? new Error("audit batch failed");
      }
      for (const b of batch) b.settle(failure);
      if (failure === undefined) this.committed();
    }
  }
}

type AuditRow = ReturnType<typeof outboxRow>;

/**
 * One statement text for any number of rows (arrays, unnested), so PostgreSQL parses it once per
 * connection whatever the batch size; the row order is the `seq` order the relay publishes in.
 */
const INSERT_ROWS =
  'insert into "virtual_care_outbox" ("id", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "traceparent") ' +
  "select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::text[]) " +
  'on conflict ("id") do nothing';
const COLUMNS = ["ids", "tenants", "aggregateTypes", "aggregateIds", "types", "data", "times", "traces"] as const;
const statements = new StatementCache();

async function insertRows(db: Db, rows: AuditRow[]): Promise<void> {
  const values = {
    ids: rows.map((r) => r.id),
    tenants: rows.map((r) => r.tenantId),
    aggregateTypes: rows.map((r) => r.aggregateType),
    aggregateIds: rows.map((r) => r.aggregateId),
    types: rows.map((r) => r.type),
    data: rows.map((r) => JSON.stringify(r.data)),
    times: rows.map((r) => r.occurredAt.toISOString()),
    // The trace of the request that read (when tracing is on), as every outbox row carries it.
    traces: rows.map((r) => r.traceparent ?? null),
  };
  const build = () => ({ toSQL: () => ({ sql: INSERT_ROWS, params: COLUMNS.map((c) => sql.placeholder(c)) }) });
  await statements.run(db, "vcs_audit_batch", build, values);
}
