import { and, desc, eq, getTableColumns, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { SessionListFilter, SessionQueries } from "../../features/sessions/ports.js";
import type { Participant } from "../../domain/participant.js";
import type { SessionState } from "../../domain/session.js";
import type { Db } from "./database.js";
import { sessions } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { inTenant, onTransaction } from "./tenant-scope.js";
import { participantFromTuple, participantTupleSql, toSessionState, type SessionRow } from "./session-rows.js";

/**
 * The session's participants as one JSON column of the session row, in invitation order: a
 * session and its participants come from ONE statement, so from one snapshot. Read in two
 * statements, a change committed in between could pair a version (the ETag) with participants
 * of another version. It is also one round trip instead of two.
 */
// Written out (not drizzle column references): drizzle prints columns of a single-table select
// unqualified, which inside this subquery would bind to session_participants on both sides.
const participantsJson = sql<unknown[][]>`coalesce((${sql.raw(
  `select json_agg(${participantTupleSql} order by p."position") ` +
    'from "session_participants" p where p."session_id" = "virtual_sessions"."id" and p."tenant_id" = "virtual_sessions"."tenant_id"',
)}), '[]'::json)`;

const withParticipants = { ...getTableColumns(sessions), participants: participantsJson };
type ReadRow = SessionRow & { participants: unknown[][] };

function toState(row: ReadRow): SessionState {
  return { ...toSessionState(row, []), participants: row.participants.map(participantFromTuple) };
}

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

  constructor(private readonly db: Db) {
    this.byId = db
      .select(withParticipants)
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder("id")), eq(sessions.tenantId, sql.placeholder("tenantId"))))
      .prepare("vcs_session_by_id");
    // The list's usual first page: no filter, no cursor. Any other shape is built per call.
    this.firstPage = db
      .select(withParticipants)
      .from(sessions)
      .where(eq(sessions.tenantId, sql.placeholder("tenantId")))
      .orderBy(desc(sessions.scheduledStart), desc(sessions.id))
      .limit(sql.placeholder("limit"))
      .prepare("vcs_session_first_page");
  }

  async list(filter: SessionListFilter): Promise<SessionState[]> {
    const unfiltered =
      !filter.statuses?.length && !filter.patientId && !filter.providerId && !filter.from && !filter.to && !filter.after;
    if (unfiltered) {
      const rows = await inTenant(this.db, filter.tenantId, (tx) => onTransaction(this.firstPage, tx).execute({ tenantId: filter.tenantId, limit: filter.limit }), "read only");
      return rows.map(toState);
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
    return rows.map(toState);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionState | null> {
    if (!isUuid(sessionId)) return null;
    const [row] = await inTenant(this.db, tenantId, (tx) => onTransaction(this.byId, tx).execute({ id: sessionId, tenantId }), "read only");
    return row ? toState(row) : null;
  }

  async participants(tenantId: string, sessionId: string): Promise<Participant[] | null> {
    const session = await this.get(tenantId, sessionId);
    return session ? session.participants : null;
  }
}
