import { and, asc, count, eq, inArray, min } from "drizzle-orm";
import type { SessionStatus } from "../../../domain/session.js";
import type { WaitingBoardQueries, WaitingEntry } from "../../../features/sessions/ports.js";
import type { Db } from "../connection/database.js";
import { participants, sessions } from "../schema.js";
import { inTenant } from "../connection/tenant-scope.js";

/**
 * The console's waiting board: one grouped read of the tenant's joinable visits with someone
 * waiting. Runs once per change per tenant, however many lists are open (waiting-board-hub.ts).
 */
export class PostgresWaitingBoardQueries implements WaitingBoardQueries {
  constructor(private readonly db: Db) {}

  async waitingBoard(tenantId: string, limit: number): Promise<WaitingEntry[]> {
    const since = min(participants.waitingSince);
    const rows = await inTenant(
      this.db,
      tenantId,
      (tx) =>
        tx
          .select({ sessionId: sessions.id, patientId: sessions.patientId, sessionStatus: sessions.status, waiting: count(), waitingSince: since })
          .from(participants)
          .innerJoin(sessions, and(eq(sessions.id, participants.sessionId), eq(sessions.tenantId, participants.tenantId)))
          .where(
            and(
              eq(participants.tenantId, tenantId),
              eq(participants.status, "waiting"),
              inArray(sessions.status, ["scheduled", "in_progress"]),
            ),
          )
          .groupBy(sessions.id)
          .orderBy(asc(since), asc(sessions.id))
          .limit(limit),
      "read only",
    );
    return rows.map((r) => ({
      sessionId: r.sessionId,
      patientId: r.patientId,
      sessionStatus: r.sessionStatus as SessionStatus,
      waiting: Number(r.waiting),
      // A waiting participant always has its time; the fallback only satisfies the type.
      waitingSince: r.waitingSince ? new Date(r.waitingSince) : new Date(0),
    }));
  }
}
