import { and, desc, eq, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { SessionListFilter, SessionQueries } from "../../../features/sessions/ports.js";
import type { Participant } from "../../../domain/participant.js";
import type { SessionState } from "../../../domain/session.js";
import type { Db } from "../connection/database.js";
import { sessions } from "../schema.js";
import { isUuid } from "../repositories/session-repository.js";
import { onTransaction, withFlatRowMapper } from "../connection/drizzle-internals.js";
import { inTenant, readInTenant } from "../connection/tenant-scope.js";
import type { AuditEntry, Clock } from "../../../platform/ports.js";
import { auditRowValues, withAuditRow } from "./audited-read.js";
import { sessionWithParticipants as withParticipants, toSessionState } from "../repositories/session-rows.js";

/**
 * The read side: plain SQL reads, no aggregates, always inside the caller's tenant: each read is a
 * read-only transaction scoped to it (row-level security), and still filters by it.
 * The hot reads are prepared once: drizzle otherwise builds the SQL text on every call, which was
 * the largest JavaScript cost of a read in the bench profile (BENCHMARKS.md). The names make
 * PostgreSQL parse them once per connection as well.
 */
export class PostgresSessionQueries implements SessionQueries {
  private readonly byId;
  private readonly firstPage;

  private readonly byIdAudited;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Told after a read committed its audit row (wakes the outbox relay). */
    private readonly auditCommitted: () => void = () => undefined,
  ) {
    this.byId = withFlatRowMapper(db
      .select(withParticipants)
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder("id")), eq(sessions.tenantId, sql.placeholder("tenantId"))))
      .prepare("vcs_session_by_id"));
    // The list's usual first page: no filter, no cursor. Any other shape is built per call.
    this.firstPage = withFlatRowMapper(db
      .select(withParticipants)
      .from(sessions)
      .where(eq(sessions.tenantId, sql.placeholder("tenantId")))
      .orderBy(desc(sessions.scheduledStart), desc(sessions.id))
      .limit(sql.placeholder("limit"))
      .prepare("vcs_session_first_page"));
    this.byIdAudited = withAuditRow(db, this.byId, "vcs_session_by_id_audited");
  }

  async list(filter: SessionListFilter): Promise<SessionState[]> {
    const unfiltered =
      !filter.statuses?.length && !filter.patientId && !filter.providerId && !filter.from && !filter.to && !filter.after;
    if (unfiltered) {
      const rows = await readInTenant(this.db, filter.tenantId, (tx) => onTransaction(this.firstPage, tx).execute({ tenantId: filter.tenantId, limit: filter.limit }));
      return rows.map(toSessionState);
    }
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
    const rows = await inTenant(
      this.db,
      filter.tenantId,
      (tx) => tx.select(withParticipants).from(sessions).where(and(...where)).orderBy(desc(sessions.scheduledStart), desc(sessions.id)).limit(filter.limit),
      "read only",
    );
    return rows.map(toSessionState);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionState | null> {
    if (!isUuid(sessionId)) return null;
    const [row] = await readInTenant(this.db, tenantId, (tx) => onTransaction(this.byId, tx).execute({ id: sessionId, tenantId }));
    return row ? toSessionState(row) : null;
  }

  /**
   * The read and its audit row in ONE statement (the row written only when the read found the
   * session), in one read-write transaction: with BEGIN and COMMIT, one round trip and one commit,
   * instead of a read transaction and then a group-committed audit INSERT.
   */
  async getAudited(tenantId: string, sessionId: string, audit: AuditEntry): Promise<SessionState | null> {
    if (!isUuid(sessionId)) return null;
    const values = { id: sessionId, tenantId, ...auditRowValues(audit, this.clock.now()) };
    const [row] = await readInTenant(this.db, tenantId, (tx) => onTransaction(this.byIdAudited, tx).execute(values), "read write");
    if (!row) return null;
    this.auditCommitted();
    return toSessionState(row);
  }

  async participants(tenantId: string, sessionId: string): Promise<Participant[] | null> {
    const session = await this.get(tenantId, sessionId);
    return session ? session.participants : null;
  }
}
