import { and, asc, eq, isNull, notInArray } from "drizzle-orm";
import type { ParticipantRole } from "../../../domain/participant.js";
import type { LinkRequestQueries, LinkRequestStore, NewLinkRequest, OpenLinkRequest } from "../../../features/join/ports.js";
import type { Db } from "../connection/database.js";
import { linkRequests, participants, sessions } from "../schema.js";
import { isUuid } from "../repositories/session-repository.js";
import { inTenant } from "../connection/tenant-scope.js";

/** Link requests in a command's transaction: the partial unique index keeps one open per participant. */
export class PostgresLinkRequestStore implements LinkRequestStore {
  constructor(private readonly db: Db) {}

  async open(request: NewLinkRequest): Promise<boolean> {
    // A concurrent twin loses on the index and inserts nothing: repeated asks never pile up.
    const inserted = await this.db.insert(linkRequests).values(request).onConflictDoNothing().returning({ id: linkRequests.id });
    return inserted.length === 1;
  }

  async resolve(tenantId: string, id: string, by: string, at: Date): Promise<"resolved" | "closed" | "missing"> {
    if (!isUuid(id)) return "missing";
    const [row] = await this.db
      .select({ resolvedAt: linkRequests.resolvedAt })
      .from(linkRequests)
      .where(and(eq(linkRequests.tenantId, tenantId), eq(linkRequests.id, id)))
      .for("update");
    if (!row) return "missing";
    if (row.resolvedAt) return "closed";
    await this.db.update(linkRequests).set({ resolvedAt: at, resolvedBy: by }).where(and(eq(linkRequests.tenantId, tenantId), eq(linkRequests.id, id)));
    return "resolved";
  }
}

/** The console's notice: open requests with the participant's name and the visit, in the tenant's read-only transaction. */
export class PostgresLinkRequestQueries implements LinkRequestQueries {
  constructor(private readonly db: Db) {}

  open(tenantId: string, limit: number): Promise<OpenLinkRequest[]> {
    return inTenant(
      this.db,
      tenantId,
      async (tx) => {
        const rows = await tx
          .select({
            id: linkRequests.id,
            sessionId: linkRequests.sessionId,
            participantId: linkRequests.participantId,
            displayName: participants.displayName,
            role: participants.role,
            patientId: sessions.patientId,
            scheduledStart: sessions.scheduledStart,
            requestedAt: linkRequests.requestedAt,
          })
          .from(linkRequests)
          .innerJoin(participants, and(eq(participants.id, linkRequests.participantId), eq(participants.tenantId, linkRequests.tenantId)))
          .innerJoin(sessions, and(eq(sessions.id, linkRequests.sessionId), eq(sessions.tenantId, linkRequests.tenantId)))
          // A visit that has ended or was cancelled takes no new link: its requests are not listed.
          .where(and(eq(linkRequests.tenantId, tenantId), isNull(linkRequests.resolvedAt), notInArray(sessions.status, ["ended", "cancelled"])))
          .orderBy(asc(linkRequests.requestedAt), asc(linkRequests.id))
          .limit(limit);
        return rows.map((r) => ({ ...r, role: r.role as ParticipantRole }));
      },
      "read only",
    );
  }
}
