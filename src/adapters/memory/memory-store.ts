import type { DomainEvent } from "../../domain/events.js";
import type { SessionState } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { IdempotentResponse } from "../../features/sessions/ports.js";

/** A committed outbox row of the memory twin: an event or an audit entry, in commit order. */
export interface MemoryOutboxRow {
  tenantId: string;
  event: DomainEvent;
}

/**
 * Everything the memory twin of the database holds. A transaction works on a deep copy and
 * replaces the committed state only when its work returns, so a throw rolls back everything it
 * wrote (rows, outbox, audit), as a PostgreSQL transaction does.
 */
export interface MemoryState {
  sessions: Map<string, SessionState>;
  /** Ended sessions' Encounter leases (the PostgreSQL adapter keeps them on the session row). */
  encounterLeases: Map<string, Date>;
  tenantConfigs: Map<string, TenantConfig>;
  idempotency: Map<string, IdempotentResponse>;
  outbox: MemoryOutboxRow[];
}

export const emptyMemoryState = (): MemoryState => ({
  sessions: new Map(),
  encounterLeases: new Map(),
  tenantConfigs: new Map(),
  idempotency: new Map(),
  outbox: [],
});

/** Rows are keyed by tenant and id, so one tenant's key never reaches another's row. */
export const rowKey = (tenantId: string, id: string): string => JSON.stringify([tenantId, id]);

/**
 * What a transaction wrote, as steps to replay on the committed state at commit, each with the
 * check PostgreSQL would make at that moment (a row lock, a unique index): a concurrent writer that
 * committed first turns this transaction's commit into the same error PostgreSQL gives.
 */
export class Journal {
  private readonly steps: Array<{ check?: (committed: MemoryState) => void; apply: (committed: MemoryState) => void }> = [];

  write(apply: (committed: MemoryState) => void, check?: (committed: MemoryState) => void): void {
    this.steps.push({ check, apply });
  }

  /**
   * Each step's check, then its write, in order, on a copy of the committed state (so a second save
   * of one row in the same transaction checks against the first); the copy replaces the committed
   * state only when every check passed, so a failed commit applies nothing.
   */
  commitTo(committed: MemoryState): void {
    const next = structuredClone(committed);
    for (const step of this.steps) {
      step.check?.(next);
      step.apply(next);
    }
    Object.assign(committed, next);
  }
}
