import type { SessionsTx } from "../../features/sessions/ports.js";
import { auditEvent } from "../../platform/audit.js";
import type { AuditEntry, AuditPort, Clock, SystemUnitOfWork, UnitOfWork } from "../../platform/ports.js";
import { MemorySessionRepository } from "./memory-session-repository.js";
import { Journal, emptyMemoryState, type MemoryState } from "./memory-store.js";
import { MemoryIdempotencyStore, MemoryOutboxWriter, MemoryPendingEncounterStore, MemoryTenantConfigRepository } from "./memory-stores.js";

/**
 * The memory twin of the PostgreSQL unit of work, for the fast test tier: the same ports, held
 * to the same contract suite (test/contract/session-repository.contract.test.ts).
 * - A transaction sees a copy of its tenant's committed rows only (row-level security), and its
 *   own writes; a throw discards the copy, so nothing it wrote (rows, events, audit) remains.
 * - At commit its writes are replayed on the committed state after PostgreSQL's checks (version,
 *   unique appointment), so two writers that loaded the same version end as on PostgreSQL: the
 *   later commit fails with OPTIMISTIC_LOCK_CONFLICT.
 */
export class MemoryDatabase {
  readonly committed: MemoryState = emptyMemoryState();
  /** Idempotency keys stored by transactions still open. */
  private readonly reservedKeys = new Set<string>();

  constructor(readonly clock: Clock) {}

  async transaction<T>(tenantId: string | null, work: (tx: SessionsTx) => Promise<T>): Promise<T> {
    const copy = visibleTo(this.committed, tenantId);
    const journal = new Journal();
    const mine = new Set<string>();
    const outbox = new MemoryOutboxWriter(journal);
    const tx: SessionsTx = {
      sessions: new MemorySessionRepository(copy, journal, outbox),
      tenantConfigs: new MemoryTenantConfigRepository(copy, journal),
      outbox,
      audit: { record: async (entry: AuditEntry) => outbox.add([auditEvent(entry, this.clock.now())]) },
      idempotency: new MemoryIdempotencyStore(copy, journal, { committed: this.committed, reserved: this.reservedKeys, mine }),
      pendingEncounters: new MemoryPendingEncounterStore(copy, journal),
    };
    try {
      const result = await work(tx);
      journal.commitTo(this.committed);
      return result;
    } finally {
      for (const key of mine) this.reservedKeys.delete(key);
    }
  }
}

/** A deep copy of the rows a transaction may see: one tenant's, or every tenant's (system). */
function visibleTo(state: MemoryState, tenantId: string | null): MemoryState {
  const mine = <V extends { tenantId: string }>(rows: Map<string, V>) =>
    new Map([...rows].filter(([, row]) => tenantId === null || row.tenantId === tenantId));
  return structuredClone({
    sessions: mine(state.sessions),
    encounterLeases: new Map([...state.encounterLeases].filter(([key]) => tenantId === null || JSON.parse(key)[0] === tenantId)),
    tenantConfigs: mine(state.tenantConfigs),
    idempotency: mine(state.idempotency),
    outbox: [],
  });
}

export class MemoryUnitOfWork implements UnitOfWork<SessionsTx> {
  constructor(private readonly db: MemoryDatabase) {}

  run<T>(tenantId: string, work: (tx: SessionsTx) => Promise<T>): Promise<T> {
    return this.db.transaction(tenantId, work);
  }
}

export class MemorySystemUnitOfWork implements SystemUnitOfWork<SessionsTx> {
  constructor(private readonly db: MemoryDatabase) {}

  runAcrossTenants<T>(work: (tx: SessionsTx) => Promise<T>): Promise<T> {
    return this.db.transaction(null, work);
  }
}

/** Audit outside any transaction (refusals, reads): straight to the committed outbox. */
export class MemoryAudit implements AuditPort {
  constructor(private readonly db: MemoryDatabase) {}

  async record(entry: AuditEntry): Promise<void> {
    this.db.committed.outbox.push({ tenantId: entry.actor.tenantId, event: auditEvent(entry, this.db.clock.now()) });
  }
}
