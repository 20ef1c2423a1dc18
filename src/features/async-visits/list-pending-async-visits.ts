import { notFound } from "../../domain/errors.js";
import { asyncVisitView, type AsyncVisitView } from "./async-visit-view.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { AsyncVisitQueries, AttachmentStore, OfflineQueuePort } from "./ports.js";
import { decodeCursor, encodeCursor, LIST_LIMIT } from "../../platform/cursor.js";

export interface AsyncVisitQueryDeps {
  queue: OfflineQueuePort;
  queries: AsyncVisitQueries;
  audit: AuditPort;
}

/** The provider's work list: async visits waiting for review, oldest first (keyset cursor). */
export class ListPendingAsyncVisits {
  constructor(private readonly deps: AsyncVisitQueryDeps) {}

  execute(actor: Actor, query: { providerId?: string; limit?: number; cursor?: string }): Promise<{ items: AsyncVisitView[]; nextCursor: string | null }> {
    return audited(
      this.deps.audit,
      { actor, action: "async_visit.list", targets: query.providerId ? { providerId: query.providerId } : {} },
      async () => {
        assertPermission(actor, "async_visit.read");
        const limit = query.limit ?? LIST_LIMIT.default;
        const after = query.cursor ? decodeCursor(query.cursor) : undefined;
        const queued = await this.deps.queue.pending(actor.tenantId, {
          providerId: query.providerId,
          limit: limit + 1,
          after: after ? { enqueuedAt: after.scheduledStart, visitId: after.id } : undefined,
        });
        const page = queued.slice(0, limit);
        const visits = await this.deps.queries.getMany(actor.tenantId, page.map((q) => q.visitId));
        const last = page[page.length - 1];
        return {
          items: visits.map(asyncVisitView),
          nextCursor: queued.length > limit && last ? encodeCursor(last.enqueuedAt, last.visitId) : null,
        };
      },
      { auditSuccess: true },
    );
  }
}

/** One attachment's bytes, for the reviewing clinician (streamed: read piece by piece as they are sent). */
export class GetAsyncVisitAttachment {
  constructor(private readonly deps: Omit<AsyncVisitQueryDeps, "queue"> & { attachments: AttachmentStore }) {}

  execute(actor: Actor, visitId: string, attachmentId: string) {
    return audited(
      this.deps.audit,
      { actor, action: "async_visit.attachment.read", targets: { asyncVisitId: visitId, attachmentId } },
      async () => {
        assertPermission(actor, "async_visit.read");
        const file = await this.deps.queries.attachment(actor.tenantId, visitId, attachmentId);
        if (!file) throw notFound("attachment");
        return { ...file, bytes: this.deps.attachments.read(actor.tenantId, attachmentId) };
      },
      { auditSuccess: true },
    );
  }
}
