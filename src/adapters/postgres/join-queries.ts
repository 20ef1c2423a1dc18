import { and, eq, sql } from "drizzle-orm";
import type { JoinQueries, JoinState } from "../../features/join/ports.js";
import type { Participant } from "../../domain/participant.js";
import type { SessionStatus } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { Db } from "./database.js";
import { participants, sessions, tenantConfigs } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { inTenant, onTransaction } from "./tenant-scope.js";

/**
 * The join routes' read: participant, its session and the tenant config in one statement over three
 * primary-key lookups, in a read-only transaction scoped to the join token's tenant. The
 * waiting-room poll runs this and nothing else.
 */
export class PostgresJoinQueries implements JoinQueries {
  // A named prepared statement: PostgreSQL parses and plans it once per connection, not per poll.
  private readonly statement;

  constructor(private readonly db: Db) {
    this.statement = db
      .select({
        sessionStatus: sessions.status,
        scheduledStart: sessions.scheduledStart,
        scheduledEnd: sessions.scheduledEnd,
        videoBackend: sessions.videoBackend,
        videoDomain: sessions.videoDomain,
        roomName: sessions.roomName,
        participantId: participants.id,
        role: participants.role,
        displayName: participants.displayName,
        participantStatus: participants.status,
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
      .prepare("vcs_join_state");
  }

  async joinState(tenantId: string, sessionId: string, participantId: string): Promise<JoinState | null> {
    if (!isUuid(sessionId) || !isUuid(participantId)) return null;
    const [row] = await inTenant(this.db, tenantId, (tx) => onTransaction(this.statement, tx).execute({ tenantId, sessionId, participantId }), "read only");
    if (!row) return null;
    const config: TenantConfig | null =
      row.config === null ? null : { ...(row.config as Omit<TenantConfig, "tenantId" | "version">), tenantId, version: row.configVersion ?? 0 };
    return {
      tenantId,
      sessionId,
      sessionStatus: row.sessionStatus as SessionStatus,
      scheduledStart: row.scheduledStart,
      scheduledEnd: row.scheduledEnd,
      video: { backend: row.videoBackend, provider: "jitsi", domain: row.videoDomain, roomName: row.roomName },
      participant: {
        id: row.participantId,
        role: row.role as Participant["role"],
        displayName: row.displayName,
        status: row.participantStatus as Participant["status"],
      },
      config,
    };
  }
}
