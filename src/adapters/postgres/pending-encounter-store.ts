import { and, asc, eq, isNull, notInArray, type SQL } from "drizzle-orm";
import type { PendingEncounterStore } from "../../features/sessions/ports.js";
import type { Db } from "./database.js";
import { sessions } from "./schema.js";
import { isUuid } from "./session-repository.js";

/**
 * Claims for the Encounter saga: `FOR UPDATE SKIP LOCKED` on ended sessions without Encounter
 * (the partial index virtual_sessions_encounter_pending_idx). A replica never waits for, nor
 * works on, a session another replica holds; once linked, a session no longer matches.
 */
export class PostgresPendingEncounterStore implements PendingEncounterStore {
  constructor(private readonly db: Db) {}

  async claimNext(excludeIds: readonly string[]): Promise<{ tenantId: string; sessionId: string } | null> {
    const where: SQL[] = [eq(sessions.status, "ended"), isNull(sessions.encounterId)];
    if (excludeIds.length > 0) where.push(notInArray(sessions.id, [...excludeIds]));
    const [row] = await this.db
      .select({ tenantId: sessions.tenantId, sessionId: sessions.id })
      .from(sessions)
      .where(and(...where))
      .orderBy(asc(sessions.endedAt))
      .limit(1)
      .for("update", { skipLocked: true });
    return row ?? null;
  }

  async claim(tenantId: string, sessionId: string): Promise<boolean> {
    if (!isUuid(sessionId)) return false;
    const rows = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId), eq(sessions.status, "ended"), isNull(sessions.encounterId)))
      // Waits for a reconciler holding this session; PostgreSQL then re-checks the row, which no
      // longer matches when that reconciler linked it.
      .for("update");
    return rows.length > 0;
  }
}
