import { and, eq, sql } from "drizzle-orm";
import type { JoinQueries, JoinState } from "../../../features/join/ports.js";
import type { Participant } from "../../../domain/participant.js";
import type { SessionStatus } from "../../../domain/session.js";
import type { TenantConfig, VideoProvider } from "../../../domain/tenant-config.js";
import type { Db } from "../connection/database.js";
import { participants, sessions, tenantConfigs } from "../schema.js";
import { isUuid } from "../repositories/session-repository.js";
import { onTransaction, withFlatRowMapper } from "../connection/drizzle-internals.js";
import { readInTenant } from "../connection/tenant-scope.js";
import type { AuditEntry, Clock } from "../../../platform/ports.js";
import { auditRowValues, withAuditRow } from "./audited-read.js";

/**
 * The join routes' read: participant, its session and the tenant config in one statement over three
 * primary-key lookups, in a read-only transaction scoped to the join token's tenant. The
 * waiting-room poll runs this and nothing else.
 */
export class PostgresJoinQueries implements JoinQueries {
  // A named prepared statement: PostgreSQL parses and plans it once per connection, not per poll.
  private readonly statement;

  private readonly audited;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Told after a read committed its audit row (wakes the outbox relay). */
    private readonly auditCommitted: () => void = () => undefined,
  ) {
    this.statement = withFlatRowMapper(db
      .select({
        sessionStatus: sessions.status,
        scheduledStart: sessions.scheduledStart,
        scheduledEnd: sessions.scheduledEnd,
        videoBackend: sessions.videoBackend,
        videoProvider: sessions.videoProvider,
        videoDomain: sessions.videoDomain,
        roomName: sessions.roomName,
        participantId: participants.id,
        role: participants.role,
        displayName: participants.displayName,
        participantStatus: participants.status,
        waitingSince: participants.waitingSince,
        config: tenantConfigs.config,
        configVersion: tenantConfigs.version,
      })
      .from(participants)
      .innerJoin(sessions, and(eq(sessions.id, participants.sessionId), eq(sessions.tenantId, participants.tenantId)))
      .leftJoin(tenantConfigs, eq(tenantConfigs.tenantId, participants.tenantId))
      .where(
        and(
          eq(participants.id, sql.placeholder("participantId")),
          eq(participants.sessionId, sql.placeholder("sessionId")),
          eq(participants.tenantId, sql.placeholder("tenantId")),
        ),
      )
      .prepare("vcs_join_state"));
    this.audited = withAuditRow(
      db,
      this.statement,
      "vcs_join_state_audited",
      (c) =>
        `${c("role")} <> 'clinician' and ${c("participantStatus")} = 'waiting' and ${c("sessionStatus")} in ('scheduled', 'in_progress') ` +
        `and ${c("config")}->>'licensed' = 'true' and ${c("config")}->>'waitingRoomEnabled' = 'true'`,
    );
  }

  async joinState(tenantId: string, sessionId: string, participantId: string): Promise<JoinState | null> {
    if (!isUuid(sessionId) || !isUuid(participantId)) return null;
    const [row] = await readInTenant(this.db, tenantId, (tx) => onTransaction(this.statement, tx).execute({ tenantId, sessionId, participantId }));
    return row ? toJoinState(tenantId, sessionId, row) : null;
  }

  /**
   * The read and, for a patient the waiting room keeps waiting, its audit row: one statement, one
   * round trip, one commit. The condition is `keepsWaiting` (validate-join-token.ts) in SQL, never
   * wider: a state it lets through that `keepsWaiting` refused would leave a success row for an
   * answer that was not one. Narrower is safe: the use case then audits as before.
   */
  async joinStateAudited(tenantId: string, sessionId: string, participantId: string, audit: AuditEntry): Promise<(JoinState & { audited: boolean }) | null> {
    if (!isUuid(sessionId) || !isUuid(participantId)) return null;
    const values = { tenantId, sessionId, participantId, ...auditRowValues(audit, this.clock.now()) };
    const [row] = await readInTenant(this.db, tenantId, (tx) => onTransaction(this.audited, tx).execute(values), "read write");
    if (!row) return null;
    const { audited } = row as typeof row & { audited: boolean };
    if (audited) this.auditCommitted();
    return { ...toJoinState(tenantId, sessionId, row), audited };
  }
}

type JoinRow = {
  sessionStatus: string;
  scheduledStart: Date;
  scheduledEnd: Date;
  videoBackend: string;
  videoProvider: string;
  videoDomain: string;
  roomName: string;
  participantId: string;
  role: string;
  displayName: string;
  participantStatus: string;
  waitingSince: Date | null;
  config: unknown;
  configVersion: number | null;
};

function toJoinState(tenantId: string, sessionId: string, row: JoinRow): JoinState {
  const config: TenantConfig | null =
    row.config === null ? null : { ...(row.config as Omit<TenantConfig, "tenantId" | "version">), tenantId, version: row.configVersion ?? 0 };
  return {
    tenantId,
    sessionId,
    sessionStatus: row.sessionStatus as SessionStatus,
    scheduledStart: row.scheduledStart,
    scheduledEnd: row.scheduledEnd,
    video: { backend: row.videoBackend, provider: row.videoProvider as VideoProvider, domain: row.videoDomain, roomName: row.roomName },
    participant: {
      id: row.participantId,
      role: row.role as Participant["role"],
      displayName: row.displayName,
      status: row.participantStatus as Participant["status"],
      waitingSince: row.waitingSince,
    },
    config,
  };
}
