import { and, count, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { VirtualSessionRepository, OutboxWriter } from "../../../platform/ports.js";
import { DomainError, versionConflict } from "../../../domain/errors.js";
import { VirtualSession } from "../../../domain/session.js";
import { placeholders, StatementCache, suffixed, withInsert } from "../connection/built-statement.js";
import { pgErrorCode, type Db } from "../connection/database.js";
import { untilCommit } from "../connection/pipelined-transaction.js";
import { participants, sessions } from "../schema.js";
import type { CommitNotes } from "../signals/commit-notes.js";
import { mutableParticipantColumns, participantRows, sessionColumns, sessionWithParticipants, toSessionState } from "./session-rows.js";

/** The create path's INSERTs, built once per shape (built-statement.ts). */
const statements = new StatementCache();

/** VirtualSessionRepository on PostgreSQL/PGlite; `db` is the caller's transaction. */
export class PostgresSessionRepository implements VirtualSessionRepository {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
    private readonly notes?: CommitNotes,
  ) {}

  async findById(tenantId: string, sessionId: string): Promise<VirtualSession | null> {
    if (!isUuid(sessionId)) return null;
    const [row] = await this.db
      .select(sessionWithParticipants)
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId)));
    return row ? VirtualSession.rehydrate(toSessionState(row)) : null;
  }

  async findByAppointment(tenantId: string, appointmentId: string): Promise<VirtualSession | null> {
    const [row] = await this.db
      .select(sessionWithParticipants)
      .from(sessions)
      .where(and(eq(sessions.tenantId, tenantId), eq(sessions.appointmentId, appointmentId)));
    return row ? VirtualSession.rehydrate(toSessionState(row)) : null;
  }

  /**
   * The session and its participants in ONE statement (the session's INSERT as a data-modifying
   * CTE of the participants' one): one round trip. The foreign key is checked at the end of the
   * statement, when the session row exists.
   */
  async insert(session: VirtualSession): Promise<void> {
    const s = session.snapshot();
    const row = { id: s.id, tenantId: s.tenantId, createdAt: s.createdAt, version: 1, ...sessionColumns(s) };
    const people = participantRows(s);
    const values: Record<string, unknown> = { ...row };
    people.forEach((r, i) => suffixed(r, `_${i}`, values));
    const build = (db: Db) => {
      const insertSession = db.insert(sessions).values(placeholders(row));
      if (people.length === 0) return insertSession;
      return withInsert(insertSession, db.insert(participants).values(people.map((r, i) => placeholders(r, `_${i}`))));
    };
    // Nothing here needs the INSERT's answer: on a pipelined transaction it travels with the next
    // statement (the COMMIT at the latest), and its failure fails the commit, mapped here.
    await untilCommit(this.db, statements.run(this.db, `vcs_session_insert_${people.length}`, build, values), (err) =>
      pgErrorCode(err).constraint === "virtual_sessions_tenant_appointment_uq"
        ? new DomainError("APPOINTMENT_ALREADY_LINKED", "this appointment already has a virtual session")
        : err,
    );
    await this.outbox.add(session.pullEvents());
    session.markSaved(1);
  }

  async save(session: VirtualSession, expectedVersion: number): Promise<void> {
    const s = session.snapshot();
    // The row lock taken by this UPDATE makes a concurrent writer wait, then miss the version.
    const updated = await this.db
      .update(sessions)
      .set({ ...sessionColumns(s), version: sql`${sessions.version} + 1` })
      .where(and(eq(sessions.id, s.id), eq(sessions.tenantId, s.tenantId), eq(sessions.version, expectedVersion)))
      .returning({ version: sessions.version });
    const saved = updated[0];
    if (!saved) {
      const [current] = await this.db
        .select({ version: sessions.version })
        .from(sessions)
        .where(and(eq(sessions.id, s.id), eq(sessions.tenantId, s.tenantId)));
      if (!current) throw new DomainError("NOT_FOUND", "session not found");
      throw versionConflict("session", current.version, "concurrent");
    }
    const rows = participantRows(s);
    if (rows.length > 0) {
      await this.db
        .insert(participants)
        .values(rows)
        .onConflictDoUpdate({
          target: participants.id,
          set: mutableParticipantColumns,
        });
    }
    await this.outbox.add(session.pullEvents());
    // Wakes the waiting-room streams (of every replica) once this transaction commits.
    this.notes?.sessionChanged(s.tenantId, s.id);
    session.markSaved(saved.version);
  }

  async lockBackend(tenantId: string, backendName: string): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${roomAllocationLockKey(tenantId, backendName)}, 0))`);
  }

  async countRoomsInUse(tenantId: string, backendName: string, start: Date, end: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(sessions)
      .where(
        and(
          eq(sessions.tenantId, tenantId),
          eq(sessions.videoBackend, backendName),
          inArray(sessions.status, ["scheduled", "in_progress"]),
          lt(sessions.scheduledStart, end),
          gt(sessions.scheduledEnd, start),
        ),
      );
    return Number(row?.n ?? 0);
  }
}

/** JSON keeps the pair unambiguous whatever characters the two names contain (NUL is not allowed in text). */
export const roomAllocationLockKey = (tenantId: string, backendName: string): string =>
  JSON.stringify(["room-allocation", tenantId, backendName]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs; anything else cannot name a row (and must not reach a uuid column as an error). */
export const isUuid = (value: string): boolean => UUID.test(value);
