import { and, asc, desc, eq, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { SessionListFilter, SessionQueries } from "../../app/ports.js";
import type { Participant } from "../../domain/participant.js";
import type { SessionState } from "../../domain/session.js";
import type { Db } from "./database.js";
import { participants, sessions } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { toSessionState, type ParticipantRow, type SessionRow } from "./session-rows.js";

/**
 * The read side: plain SQL reads, no aggregates, always inside the caller's tenant.
 * The hot reads are prepared once: drizzle otherwise builds the SQL text on every call, which was
 * the largest JavaScript cost of a read in the bench profile (BENCHMARKS.md). The names make
 * PostgreSQL parse them once per connection as well.
 */
export class PostgresSessionQueries implements SessionQueries {
  private readonly byId;
  private readonly firstPage;
  private readonly participantsOf;

  constructor(private readonly db: Db) {
    this.byId = db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder("id")), eq(sessions.tenantId, sql.placeholder("tenantId"))))
      .prepare("vcs_session_by_id");
    // The list's usual first page: no filter, no cursor. Any other shape is built per call.
    this.firstPage = db
      .select()
      .from(sessions)
      .where(eq(sessions.tenantId, sql.placeholder("tenantId")))
      .orderBy(desc(sessions.scheduledStart), desc(sessions.id))
      .limit(sql.placeholder("limit"))
      .prepare("vcs_session_first_page");
    // One array parameter instead of one placeholder per id, so one statement serves any page size.
    this.participantsOf = db
      .select()
      .from(participants)
      // The tenant filter is defence in depth: the session ids were already read inside the tenant.
      .where(and(eq(participants.tenantId, sql.placeholder("tenantId")), sql`${participants.sessionId} = any(${sql.placeholder("ids")}::uuid[])`))
      .orderBy(asc(participants.sessionId), asc(participants.position))
      .prepare("vcs_participants_of_sessions");
  }

  private async withParticipants(rows: SessionRow[]): Promise<SessionState[]> {
    if (rows.length === 0) return [];
    const tenantId = rows[0]!.tenantId;
    const bySession = new Map<string, ParticipantRow[]>(rows.map((r) => [r.id, []]));
    for (const p of await this.participantsOf.execute({ tenantId, ids: rows.map((r) => r.id) })) bySession.get(p.sessionId)?.push(p);
    return rows.map((r) => toSessionState(r, bySession.get(r.id) ?? []));
  }

  async list(filter: SessionListFilter): Promise<SessionState[]> {
    const unfiltered =
      !filter.statuses?.length && !filter.patientId && !filter.providerId && !filter.from && !filter.to && !filter.after;
    if (unfiltered) return this.withParticipants(await this.firstPage.execute({ tenantId: filter.tenantId, limit: filter.limit }));
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
    return this.withParticipants(rows);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionState | null> {
    if (!isUuid(sessionId)) return null;
    const [session] = await this.withParticipants(await this.byId.execute({ id: sessionId, tenantId }));
    return session ?? null;
  }

  async participants(tenantId: string, sessionId: string): Promise<Participant[] | null> {
    const session = await this.get(tenantId, sessionId);
    return session ? session.participants : null;
  }
}

