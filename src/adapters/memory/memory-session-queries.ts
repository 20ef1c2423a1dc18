import type { Participant } from "../../domain/participant.js";
import type { SessionState } from "../../domain/session.js";
import type { SessionListFilter, SessionQueries } from "../../features/sessions/ports.js";
import { rowKey } from "./memory-store.js";
import type { AuditEntry } from "../../platform/ports.js";
import { MemoryAudit, type MemoryDatabase } from "./memory-unit-of-work.js";

/** The read side over the committed memory state: newest first, keyset by (scheduledStart, id). */
export class MemorySessionQueries implements SessionQueries {
  constructor(private readonly db: MemoryDatabase) {}

  async list(filter: SessionListFilter): Promise<SessionState[]> {
    const after = filter.after;
    return [...this.db.committed.sessions.values()]
      .filter(
        (s) =>
          s.tenantId === filter.tenantId &&
          (!filter.statuses?.length || filter.statuses.includes(s.status)) &&
          (!filter.patientId || s.patientId === filter.patientId) &&
          (!filter.providerId || s.providerId === filter.providerId) &&
          (!filter.from || s.scheduledStart >= filter.from) &&
          (!filter.to || s.scheduledStart < filter.to) &&
          (!after || s.scheduledStart < after.scheduledStart || (s.scheduledStart.getTime() === after.scheduledStart.getTime() && s.id < after.id)),
      )
      .sort((a, b) => b.scheduledStart.getTime() - a.scheduledStart.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, filter.limit)
      .map((s) => structuredClone(s));
  }

  async get(tenantId: string, sessionId: string): Promise<SessionState | null> {
    const row = this.db.committed.sessions.get(rowKey(tenantId, sessionId));
    return row ? structuredClone(row) : null;
  }

  async getAudited(tenantId: string, sessionId: string, audit: AuditEntry): Promise<SessionState | null> {
    const found = await this.get(tenantId, sessionId);
    if (found) await new MemoryAudit(this.db).record(audit);
    return found;
  }

  async participants(tenantId: string, sessionId: string): Promise<Participant[] | null> {
    return (await this.get(tenantId, sessionId))?.participants ?? null;
  }
}
