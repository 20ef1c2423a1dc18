import type { AiSummaryTx } from "../../../features/ai-summary/ports.js";
import type { AsyncVisitTx } from "../../../features/async-visits/ports.js";
import type { LinkRequestTx } from "../../../features/join/ports.js";
import type { SessionsTx } from "../../../features/sessions/ports.js";
import type { WebhooksTx } from "../../../features/webhooks/ports.js";
import { auditEvent } from "../../../platform/audit.js";
import type { AuditEntry, AuditPort, Clock, SystemUnitOfWork, UnitOfWork } from "../../../platform/ports.js";
import { PostgresAiSummaryRepository } from "./ai-summary-repository.js";
import { PostgresAsyncVisitRepository } from "./async-visit-repository.js";
import { CommitNotes, type CommitListener } from "../signals/commit-notes.js";
import { placeholders, StatementCache } from "../connection/built-statement.js";
import type { Db } from "../connection/database.js";
import { PostgresIdempotencyStore } from "./idempotency-store.js";
import { PostgresLinkRequestStore } from "../queries/link-request-store.js";
import { PostgresOfflineQueue } from "./offline-queue.js";
import { outboxRow, PostgresOutboxWriter } from "./outbox-writer.js";
import { PostgresPendingEncounterStore } from "./pending-encounter-store.js";
import { outbox } from "../schema.js";
import { PostgresSessionRepository } from "./session-repository.js";
import { PostgresTenantConfigRepository } from "./tenant-config-repository.js";
import { PostgresWebhookStore } from "./webhook-store.js";
import { inTenant } from "../connection/tenant-scope.js";

/** Every feature's stores on one transaction: each use case sees the part its `…Tx` port names. */
export type TransactionContext = SessionsTx & AiSummaryTx & AsyncVisitTx & LinkRequestTx & WebhooksTx;

/**
 * Builds the transaction-scoped stores, all on the transaction `db`; they note what they wrote in
 * `notes`. Events and audit rows go to `outbox`, which the caller flushes before committing.
 */
function transactionContext(db: Db, clock: Clock, notes: CommitNotes, outbox: PostgresOutboxWriter): TransactionContext {
  return {
    sessions: new PostgresSessionRepository(db, outbox, notes),
    tenantConfigs: new PostgresTenantConfigRepository(db),
    outbox,
    audit: new TransactionAudit(outbox, clock),
    idempotency: new PostgresIdempotencyStore(db),
    pendingEncounters: new PostgresPendingEncounterStore(db),
    aiSummaries: new PostgresAiSummaryRepository(db, outbox),
    asyncVisits: new PostgresAsyncVisitRepository(db, outbox),
    offlineQueue: new PostgresOfflineQueue(db),
    linkRequests: new PostgresLinkRequestStore(db),
    webhooks: new PostgresWebhookStore(db),
  };
}

/** Tenant work on the service's pool: each transaction scoped to its tenant (tenant-scope.ts). */
export class PostgresUnitOfWork implements UnitOfWork<TransactionContext> {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Told what each committed transaction wrote (wakes the relay and waiting rooms). */
    private readonly listener?: CommitListener,
  ) {}

  run<T>(tenantId: string, work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return runNoted((fn) => inTenant(this.db, tenantId, fn), this.clock, this.listener, (tx) => work(tx));
  }
}

/** The workers' claims, on the system connections (`Database.system`): every tenant's rows. */
export class PostgresSystemUnitOfWork implements SystemUnitOfWork<TransactionContext> {
  constructor(
    private readonly system: Db,
    private readonly clock: Clock,
    private readonly listener?: CommitListener,
  ) {}

  runAcrossTenants<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return runNoted((fn) => this.system.transaction((tx) => fn(tx as unknown as Db)), this.clock, this.listener, (tx) => work(tx));
  }
}

/**
 * A transaction (opened by `begin`) whose CommitNotes reach `listener` once it committed. The
 * outbox rows its work added are written last, in one INSERT, before the commit.
 */
export async function runNoted<T>(
  begin: <R>(fn: (tx: Db) => Promise<R>) => Promise<R>,
  clock: Clock,
  listener: CommitListener | undefined,
  work: (context: TransactionContext, tx: Db) => Promise<T>,
): Promise<T> {
  const notes = new CommitNotes();
  const result = await begin(async (tx) => {
    const outbox = new PostgresOutboxWriter(tx, clock, notes);
    const value = await work(transactionContext(tx, clock, notes, outbox), tx);
    await outbox.flush();
    return value;
  });
  listener?.committed(notes);
  return result;
}

/**
 * A command's audit: its entry is an outbox row written with the transaction's events, so it
 * commits with the change it records, inside that transaction's tenant.
 */
class TransactionAudit implements AuditPort {
  constructor(
    private readonly outbox: PostgresOutboxWriter,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    this.outbox.addRow(outboxRow(auditEvent(entry, now), now));
  }
}

/**
 * An audit entry as an outbox row, so it is as durable as any event and reaches the AUDIT stream
 * through the relay. This is the audit of what has no transaction (reads, refusals, the edge's
 * pseudo-tenant; `GroupCommitAudit` batches the same rows): a system path on `Database.system`,
 * where one connection writes entries of any tenant (and of the pseudo-tenants) without a
 * transaction of its own. It only ever inserts.
 */
export class OutboxAudit implements AuditPort {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    const row = outboxRow(auditEvent(entry, now), now);
    // Every read of patient data writes one of these: one named statement, its text built once.
    await auditStatements.run(this.db, "vcs_audit_insert", (db) => db.insert(outbox).values(placeholders(row)).onConflictDoNothing({ target: outbox.id }), row);
  }
}

const auditStatements = new StatementCache();
