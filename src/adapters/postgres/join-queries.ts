import { and, eq, sql } from "drizzle-orm";
import type { JoinQueries, JoinState } from "../../features/join/ports.js";
import type { Participant } from "../../domain/participant.js";
import type { SessionStatus } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { Db } from "./database.js";
import { participants, sessions, tenantConfigs } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { TenantRead } from "./tenant-scope.js";

/** The joined columns' types; the tenant config's side of the left join may be missing. */
type JoinRow<S extends Record<string, { _: { data: unknown } }>> = {
  [K in keyof S]: K extends "config" | "configVersion" ? S[K]["_"]["data"] | null : S[K]["_"]["data"];
};

/**
 * The join routes' read: participant, its session and the tenant config in one statement over three
 * primary-key lookups, in a read-only transaction scoped to the join token's tenant, sent in one
 * round trip (`TenantRead`). The waiting-room poll runs this and nothing else.
 */
export class PostgresJoinQueries implements JoinQueries {
  private readonly statement;

  constructor(private readonly db: Db) {
    const selection = {
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
      };
    const query = db
      .select(selection)
      .from(participants)
      .innerJoin(sessions, and(eq(sessions.id, participants.sessionId), eq(sessions.tenantId, participants.tenantId)))
      .leftJoin(tenantConfigs, eq(tenantConfigs.tenantId, participants.tenantId))
      .where(
        and(
          eq(participants.id, sql.placeholder("participantId")),
          eq(participants.sessionId, sql.placeholder("sessionId")),
          eq(participants.tenantId, sql.placeholder("tenantId")),
        ),
      );
    this.statement = new TenantRead<JoinRow<typeof selection>>(query, Object.keys(selection) as Array<keyof typeof selection>);
  }

  async joinState(tenantId: string, sessionId: string, participantId: string): Promise<JoinState | null> {
    if (!isUuid(sessionId) || !isUuid(participantId)) return null;
    const [row] = await this.statement.run(this.db, tenantId, { tenantId, sessionId, participantId });
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
