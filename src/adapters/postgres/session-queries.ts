import { and, desc, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import type { SessionListFilter, SessionQueries } from "../../app/ports.js";
import type { Participant } from "../../domain/participant.js";
import type { SessionState } from "../../domain/session.js";
import type { Db } from "./database.js";
import { sessions } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { loadParticipants, toSessionState } from "./session-rows.js";

/** The read side: plain SQL reads, no aggregates, always inside the caller's tenant. */
export class PostgresSessionQueries implements SessionQueries {
  constructor(private readonly db: Db) {}

  async list(filter: SessionListFilter): Promise<SessionState[]> {
    const where: SQL[] = [eq(sessions.tenantId, filter.tenantId)];
    if (filter.statuses?.length) where.push(inArray(sessions.status, filter.statuses));
    if (filter.patientId) where.push(eq(sessions.patientId, filter.patientId));
    if (filter.providerId) where.push(eq(sessions.providerId, filter.providerId));
    if (filter.from) where.push(gte(sessions.scheduledStart, filter.from));
    if (filter.to) where.push(lt(sessions.scheduledStart, filter.to));
    if (filter.after) {
      const { scheduledStart, id } = filter.after;
      const next = or(
        lt(sessions.scheduledStart, scheduledStart),
        and(eq(sessions.scheduledStart, scheduledStart), lt(sessions.id, id)),
      );
      if (next) where.push(next);
    }
    const rows = await this.db
      .select()
      .from(sessions)
      .where(and(...where))
      .orderBy(desc(sessions.scheduledStart), desc(sessions.id))
      .limit(filter.limit);
    const people = await loadParticipants(
      this.db,
      filter.tenantId,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toSessionState(r, people.get(r.id) ?? []));
  }

  async get(tenantId: string, sessionId: string): Promise<SessionState | null> {
    if (!isUuid(sessionId)) return null;
    const [row] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId)));
    if (!row) return null;
    const people = await loadParticipants(this.db, row.tenantId, [row.id]);
    return toSessionState(row, people.get(row.id) ?? []);
  }

  async participants(tenantId: string, sessionId: string): Promise<Participant[] | null> {
    const session = await this.get(tenantId, sessionId);
    return session ? session.participants : null;
  }
}

