import { versionConflict } from "../../domain/errors.js";
import type { DomainEvent } from "../../domain/events.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { IdempotencyStore, IdempotentResponse, PendingEncounterStore } from "../../features/sessions/ports.js";
import type { OutboxWriter, TenantConfigRepository } from "../../platform/ports.js";
import { rowKey, type Journal, type MemoryState } from "./memory-store.js";

export class MemoryTenantConfigRepository implements TenantConfigRepository {
  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal,
  ) {}

  async get(tenantId: string): Promise<TenantConfig | null> {
    const stored = this.state.tenantConfigs.get(tenantId);
    return stored ? structuredClone(stored) : null;
  }

  async assertVersion(tenantId: string, version: number): Promise<void> {
    // Checked against the committed state when the unit of work commits, as PostgreSQL's guard does.
    this.journal.write(
      () => undefined,
      (committed) => {
        const now = committed.tenantConfigs.get(tenantId)?.version ?? 0;
        if (now !== version) throw versionConflict("tenant config", now, "concurrent");
      },
    );
  }

  async save(config: TenantConfig, expectedVersion: number): Promise<TenantConfig> {
    const currentVersion = this.state.tenantConfigs.get(config.tenantId)?.version ?? 0;
    if (currentVersion !== expectedVersion) {
      throw versionConflict("tenant config", currentVersion, "concurrent");
    }
    const saved = { ...structuredClone(config), version: expectedVersion + 1 };
    this.state.tenantConfigs.set(config.tenantId, saved);
    this.journal.write(
      (committed) => committed.tenantConfigs.set(config.tenantId, structuredClone(saved)),
      (committed) => {
        const now = committed.tenantConfigs.get(config.tenantId)?.version ?? 0;
        if (now !== expectedVersion) throw versionConflict("tenant config", now, "concurrent");
      },
    );
    return structuredClone(saved);
  }
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal,
    /** Keys other open transactions stored: PostgreSQL's insert would wait for them, then find the row. */
    private readonly live: { committed: MemoryState; reserved: Set<string>; mine: Set<string> },
  ) {}

  async find(tenantId: string, key: string): Promise<IdempotentResponse | null> {
    const stored = this.state.idempotency.get(rowKey(tenantId, key));
    return stored ? structuredClone(stored) : null;
  }

  async save(record: IdempotentResponse): Promise<boolean> {
    const key = rowKey(record.tenantId, record.key);
    if (this.state.idempotency.has(key) || this.live.committed.idempotency.has(key) || this.live.reserved.has(key)) return false;
    this.live.reserved.add(key);
    this.live.mine.add(key);
    this.state.idempotency.set(key, structuredClone(record));
    // First committer keeps the key, as ON CONFLICT DO NOTHING leaves the first row.
    this.journal.write((committed) => {
      if (!committed.idempotency.has(key)) committed.idempotency.set(key, structuredClone(record));
    });
    return true;
  }
}

/** Events and audit entries of one transaction, in the order written (the relay's `seq` order). */
export class MemoryOutboxWriter implements OutboxWriter {
  constructor(private readonly journal: Journal) {}

  async add(events: DomainEvent[]): Promise<void> {
    const rows = events.map((event) => ({ tenantId: event.tenantId, event: structuredClone(event) }));
    this.journal.write((committed) => committed.outbox.push(...rows));
  }
}

/** Ended sessions without an Encounter, leased by time as the PostgreSQL store does. */
export class MemoryPendingEncounterStore implements PendingEncounterStore {
  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal,
  ) {}

  async leaseNext(excludeIds: readonly string[], now: Date, until: Date): Promise<{ tenantId: string; sessionId: string } | null> {
    const candidate = [...this.state.sessions.values()]
      .filter((s) => this.pendingAndFree(s.tenantId, s.id, now) && !excludeIds.includes(s.id))
      .sort((a, b) => (a.endedAt?.getTime() ?? 0) - (b.endedAt?.getTime() ?? 0))[0];
    if (!candidate) return null;
    this.setLease(rowKey(candidate.tenantId, candidate.id), until);
    return { tenantId: candidate.tenantId, sessionId: candidate.id };
  }

  async lease(tenantId: string, sessionId: string, now: Date, until: Date): Promise<boolean> {
    if (!this.pendingAndFree(tenantId, sessionId, now)) return false;
    this.setLease(rowKey(tenantId, sessionId), until);
    return true;
  }

  async release(tenantId: string, sessionId: string): Promise<void> {
    this.setLease(rowKey(tenantId, sessionId), null);
  }

  private setLease(key: string, until: Date | null): void {
    const apply = (state: MemoryState) => (until ? state.encounterLeases.set(key, until) : state.encounterLeases.delete(key));
    apply(this.state);
    this.journal.write(apply);
  }

  private pendingAndFree(tenantId: string, sessionId: string, now: Date): boolean {
    const s = this.state.sessions.get(rowKey(tenantId, sessionId));
    const leasedUntil = this.state.encounterLeases.get(rowKey(tenantId, sessionId));
    return !!s && s.status === "ended" && s.encounterId === null && (!leasedUntil || leasedUntil < now);
  }
}
