import { and, desc, eq, inArray } from "drizzle-orm";
import type { AsyncVisitQueries } from "../../../features/async-visits/ports.js";
import type { AsyncVisitState } from "../../../domain/async-visit.js";
import { loadAsyncVisit } from "../repositories/async-visit-repository.js";
import type { Db } from "../connection/database.js";
import { asyncVisitAttachments, asyncVisits } from "../schema.js";
import { isUuid } from "../repositories/session-repository.js";
import { inTenant } from "../connection/tenant-scope.js";

export class PostgresAsyncVisitQueries implements AsyncVisitQueries {
  constructor(private readonly db: Db) {}

  async getMany(tenantId: string, ids: readonly string[]): Promise<AsyncVisitState[]> {
    // Pages are at most 100 visits: one small read each keeps the mapping in one place (one
    // tenant-scoped transaction, so one connection, for the page).
    const found = await inTenant(this.db, tenantId, (tx) => Promise.all(ids.map((id) => loadAsyncVisit(tx, tenantId, id))), "read only");
    return found.filter((v): v is AsyncVisitState => v !== null);
  }

  async submittedBy(tenantId: string, who: { sessionId: string; participantId: string }): Promise<AsyncVisitState[]> {
    if (!isUuid(who.sessionId)) return [];
    const v = asyncVisits;
    return inTenant(
      this.db,
      tenantId,
      async (tx) => {
        // A participant stores at most a few (ASYNC_VISIT_LIMITS.maxSubmissionsPerParticipant); the limit is a backstop.
        const rows = await tx
          .select({ id: v.id })
          .from(v)
          .where(and(eq(v.tenantId, tenantId), eq(v.sessionId, who.sessionId), eq(v.submittedByKind, "participant"), eq(v.submittedById, who.participantId)))
          .orderBy(desc(v.submittedAt), desc(v.id))
          .limit(20);
        const found = await Promise.all(rows.map((r) => loadAsyncVisit(tx, tenantId, r.id)));
        return found.filter((s): s is AsyncVisitState => s !== null);
      },
      "read only",
    );
  }

  async attachment(tenantId: string, visitId: string, attachmentId: string) {
    if (!isUuid(visitId) || !isUuid(attachmentId)) return null;
    const a = asyncVisitAttachments;
    const [row] = await inTenant(
      this.db,
      tenantId,
      (tx) =>
        tx
          .select({ contentType: a.contentType, filename: a.filename, sizeBytes: a.sizeBytes })
          .from(a)
          .where(and(eq(a.tenantId, tenantId), eq(a.visitId, visitId), inArray(a.id, [attachmentId]))),
      "read only",
    );
    return row ?? null;
  }
}
