import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Participant } from "../../domain/participant.js";
import type { SessionState, SessionStatus } from "../../domain/session.js";
import type { Db } from "./database.js";
import { participants, sessions } from "./schema.js";

export type SessionRow = typeof sessions.$inferSelect;
export type ParticipantRow = typeof participants.$inferSelect;

/** Row ↔ aggregate state: the only place that knows both shapes. */
export function toSessionState(row: SessionRow, people: ParticipantRow[]): SessionState {
  return {
    id: row.id,
    tenantId: row.tenantId,
    status: row.status as SessionStatus,
    patientId: row.patientId,
    providerId: row.providerId,
    appointmentId: row.appointmentId,
    scheduledStart: row.scheduledStart,
    scheduledEnd: row.scheduledEnd,
    video: { backend: row.videoBackend, provider: "jitsi", domain: row.videoDomain, roomName: row.roomName },
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
    participants: people.map(toParticipant),
  };
}

/** The row's own columns are the participant's fields: adding one to both needs no mapping here. */
export function toParticipant(row: ParticipantRow): Participant {
  const { sessionId: _session, tenantId: _tenant, position: _position, ...participant } = row;
  return participant as Participant;
}

/**
 * The participant's own columns (not its session, tenant or position), derived from the table:
 * the read query selects them as one JSON array per participant, in this order, and
 * `participantFromTuple` reads them back, so a new column needs no change in either.
 */
const participantTupleColumns: ReadonlyArray<readonly [string, string, boolean]> = Object.entries(getTableColumns(participants))
  .filter(([key]) => !["sessionId", "tenantId", "position"].includes(key))
  .map(([key, column]) => [key, column.name, column.dataType === "date"] as const);

/** `json_build_array(p."id", p."role", …)`: a tuple, not an object, so no key is sent per value. */
export const participantTupleSql = `json_build_array(${participantTupleColumns.map(([, name]) => `p."${name}"`).join(", ")})`;

export function participantFromTuple(tuple: unknown[]): Participant {
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

/** Participants of several sessions in one query, grouped by session id, in invitation order. */
export async function loadParticipants(db: Db, tenantId: string, sessionIds: string[]): Promise<Map<string, ParticipantRow[]>> {
  const bySession = new Map<string, ParticipantRow[]>(sessionIds.map((id) => [id, []]));
  if (sessionIds.length === 0) return bySession;
  const rows = await db
    .select()
    .from(participants)
    // The tenant filter is defence in depth: the session ids were already read inside the tenant.
    .where(and(eq(participants.tenantId, tenantId), inArray(participants.sessionId, sessionIds)))
    .orderBy(asc(participants.sessionId), asc(participants.position));
  for (const row of rows) bySession.get(row.sessionId)?.push(row);
  return bySession;
}
