import { and, asc, eq, isNull, lt, notInArray, or, sql, type SQL } from "drizzle-orm";
import type { PendingEncounterStore } from "../../../features/sessions/ports.js";
import type { Db } from "../connection/database.js";
import { sessions } from "../schema.js";
import { isUuid } from "./session-repository.js";

/**
 * Leases for the Encounter saga, each one UPDATE that commits at once: no transaction stays open
 * while FHIR answers. The reconciler's scan uses the partial index on ended sessions without an
 * Encounter; `SKIP LOCKED` keeps two replicas from waiting on each other's candidate.
 */
export class PostgresPendingEncounterStore implements PendingEncounterStore {
  constructor(private readonly db: Db) {}

  async leaseNext(excludeIds: readonly string[], now: Date, until: Date): Promise<{ tenantId: string; sessionId: string } | null> {
    const where: SQL[] = [pending(), free(now)];
    if (excludeIds.length > 0) where.push(notInArray(sessions.id, [...excludeIds]));
    const candidate = this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(...where))
      .orderBy(asc(sessions.endedAt))
      .limit(1)
      .for("update", { skipLocked: true });
    const [row] = await this.db
      .update(sessions)
      .set({ encounterLeaseUntil: until })
      .where(sql`${sessions.id} = (${candidate})`)
      .returning({ tenantId: sessions.tenantId, sessionId: sessions.id });
    return row ?? null;
  }

  async lease(tenantId: string, sessionId: string, now: Date, until: Date): Promise<boolean> {
    if (!isUuid(sessionId)) return false;
    // Concurrent leases of one row serialise on it; the loser re-checks `free` and finds it taken.
    const rows = await this.db
      .update(sessions)
      .set({ encounterLeaseUntil: until })
      .where(and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId), pending(), free(now)))
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  async release(tenantId: string, sessionId: string): Promise<void> {
    await this.db
      .update(sessions)
      .set({ encounterLeaseUntil: null })
      .where(and(eq(sessions.id, sessionId), eq(sessions.tenantId, tenantId), pending()));
  }
}

const pending = () => and(eq(sessions.status, "ended"), isNull(sessions.encounterId))!;
const free = (now: Date) => or(isNull(sessions.encounterLeaseUntil), lt(sessions.encounterLeaseUntil, now))!;
