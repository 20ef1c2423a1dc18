import { getTableColumns, sql } from "drizzle-orm";
import type { Participant } from "../../../domain/participant.js";
import type { SessionState, SessionStatus } from "../../../domain/session.js";
import type { VideoProvider } from "../../../domain/tenant-config.js";
import { participants, sessions } from "../schema.js";

type SessionRow = typeof sessions.$inferSelect;

/**
 * The session row with its participants as one JSON column, in invitation order: a session and
 * its participants come from ONE statement, so from one snapshot (read in two, a change committed
 * in between could pair a version, the ETag, with participants of another version), and in one
 * round trip. The repository (commands) and the read side both select this.
 */
export type SessionReadRow = SessionRow & { participants: unknown[][] };

/** Row ↔ aggregate state: the only place that knows both shapes. */
export function toSessionState(row: SessionReadRow): SessionState {
  return {
    id: row.id,
    tenantId: row.tenantId,
    status: row.status as SessionStatus,
    patientId: row.patientId,
    providerId: row.providerId,
    appointmentId: row.appointmentId,
    scheduledStart: row.scheduledStart,
    scheduledEnd: row.scheduledEnd,
    video: { backend: row.videoBackend, provider: row.videoProvider as VideoProvider, domain: row.videoDomain, roomName: row.roomName },
    encounterId: row.encounterId,
    cancelReason: row.cancelReason,
    fallback: row.fallback
      ? { reason: row.fallback.reason, measuredKbps: row.fallback.measuredKbps, initiatedAt: new Date(row.fallback.initiatedAt) }
      : null,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    participants: row.participants.map(participantFromTuple),
  };
}

/**
 * The participant's own columns (not its session, tenant or position), derived from the table:
 * `sessionWithParticipants` selects them as one JSON array per participant, in this order, and
 * `participantFromTuple` reads them back, so a new column needs no change in either.
 */
const participantTupleColumns: ReadonlyArray<readonly [string, string, boolean]> = Object.entries(getTableColumns(participants))
  .filter(([key]) => !["sessionId", "tenantId", "position"].includes(key))
  .map(([key, column]) => [key, column.name, column.dataType === "date"] as const);

/** `json_build_array(p."id", p."role", …)`: a tuple, not an object, so no key is sent per value. */
const participantTupleSql = `json_build_array(${participantTupleColumns.map(([, name]) => `p."${name}"`).join(", ")})`;

// Written out (not drizzle column references): drizzle prints columns of a single-table select
// unqualified, which inside this subquery would bind to session_participants on both sides.
const participantsJson = sql<unknown[][]>`coalesce((${sql.raw(
  `select json_agg(${participantTupleSql} order by p."position") ` +
    'from "session_participants" p where p."session_id" = "virtual_sessions"."id" and p."tenant_id" = "virtual_sessions"."tenant_id"',
)}), '[]'::json)`;

/** `db.select(sessionWithParticipants).from(sessions)…`: rows for `toSessionState`. */
export const sessionWithParticipants = { ...getTableColumns(sessions), participants: participantsJson };

/** The one participant row mapper: a tuple of `participantTupleColumns` back into the participant. */
function participantFromTuple(tuple: unknown[]): Participant {
  const participant: Record<string, unknown> = {};
  participantTupleColumns.forEach(([key, , isDate], i) => {
    const value = tuple[i] ?? null;
    participant[key] = isDate && value !== null ? new Date(value as string) : value;
  });
  return participant as unknown as Participant;
}

/** Participant columns a later save may change (the rest is fixed when the participant is invited). */
export const mutableParticipantColumns = Object.fromEntries(
  Object.entries(getTableColumns(participants))
    .filter(([key]) => !["id", "sessionId", "tenantId", "position", "role", "externalId"].includes(key))
    .map(([key, column]) => [key, sql.raw(`excluded."${column.name}"`)]),
);

/** Columns written on insert and on every save (everything but the key and tenant). */
export function sessionColumns(s: SessionState) {
  return {
    status: s.status,
    patientId: s.patientId,
    providerId: s.providerId,
    appointmentId: s.appointmentId,
    scheduledStart: s.scheduledStart,
    scheduledEnd: s.scheduledEnd,
    videoBackend: s.video.backend,
    videoProvider: s.video.provider,
    videoDomain: s.video.domain,
    roomName: s.video.roomName,
    encounterId: s.encounterId,
    cancelReason: s.cancelReason,
    fallback: s.fallback
      ? { reason: s.fallback.reason, measuredKbps: s.fallback.measuredKbps, initiatedAt: s.fallback.initiatedAt.toISOString() }
      : null,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    updatedAt: s.updatedAt,
  };
}

export function participantRows(s: SessionState): Array<typeof participants.$inferInsert> {
  return s.participants.map((p, position) => ({ ...p, sessionId: s.id, tenantId: s.tenantId, position }));
}
