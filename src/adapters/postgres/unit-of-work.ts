import type { AuditEntry, AuditPort, Clock, TransactionContext, UnitOfWork } from "../../app/ports.js";
import { auditEvent } from "../../app/audit.js";
import type { Db } from "./database.js";
import { PostgresIdempotencyStore } from "./idempotency-store.js";
import { PostgresOutboxWriter } from "./outbox-writer.js";
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
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await new PostgresOutboxWriter(this.db, this.clock).add([auditEvent(entry, this.clock.now())]);
  }
}
