import { and, eq, inArray } from "drizzle-orm";
import type { AsyncVisitQueries } from "../../features/async-visits/ports.js";
import type { AsyncVisitState } from "../../domain/async-visit.js";
import { loadAsyncVisit } from "./async-visit-repository.js";
import type { Db } from "./database.js";
import { asyncVisitAttachments } from "./schema.js";
import { isUuid } from "./session-repository.js";
import { inTenant } from "./tenant-scope.js";

export class PostgresAsyncVisitQueries implements AsyncVisitQueries {
  constructor(private readonly db: Db) {}

  async getMany(tenantId: string, ids: readonly string[]): Promise<AsyncVisitState[]> {
    // Pages are at most 100 visits: one small read each keeps the mapping in one place (one
    // tenant-scoped transaction, so one connection, for the page).
    const found = await inTenant(this.db, tenantId, (tx) => Promise.all(ids.map((id) => loadAsyncVisit(tx, tenantId, id))), "read only");
    return found.filter((v): v is AsyncVisitState => v !== null);
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
