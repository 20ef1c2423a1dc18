import { sql } from "drizzle-orm";
import type { AuditEntry, AuditPort, Clock, TransactionContext, UnitOfWork } from "../../platform/ports.js";
import { auditEvent } from "../../platform/audit.js";
import type { Db } from "./database.js";
import { PostgresIdempotencyStore } from "./idempotency-store.js";
import { outboxRow, PostgresOutboxWriter } from "./outbox-writer.js";
import { outbox } from "./schema.js";
import { PostgresSessionRepository } from "./session-repository.js";
import { PostgresTenantConfigRepository } from "./tenant-config-repository.js";

/** Builds the transaction-scoped repositories, all on one transaction. */
export function transactionContext(db: Db, clock: Clock): TransactionContext {
  const outbox = new PostgresOutboxWriter(db, clock);
  return {
    sessions: new PostgresSessionRepository(db, outbox),
    tenantConfigs: new PostgresTenantConfigRepository(db),
    outbox,
    idempotency: new PostgresIdempotencyStore(db),
  };
}

export class PostgresUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  run<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(transactionContext(tx as unknown as Db, this.clock)));
  }
}

/**
 * AuditPort for entries outside a command's transaction (reads, refusals): written to the outbox
 * table, so they are as durable as any event and reach the AUDIT stream through the relay.
 */
export class OutboxAudit implements AuditPort {
  // Every read of patient data writes one of these, so it is prepared once (as the hot reads in
  // session-queries.ts are): the same INSERT the outbox writer builds, without rebuilding it.
  private readonly insert;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    const p = (name: string) => sql.placeholder(name);
    this.insert = db
      .insert(outbox)
      .values({ id: p("id"), tenantId: p("tenantId"), aggregateType: p("aggregateType"), aggregateId: p("aggregateId"), type: p("type"), data: p("data"), occurredAt: p("occurredAt") })
      .onConflictDoNothing({ target: outbox.id })
      .prepare("vcs_audit_insert");
  }

  async record(entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    await this.insert.execute(outboxRow(auditEvent(entry, now), now));
  }
}
