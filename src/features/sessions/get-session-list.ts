import type { SessionStatus } from "../../domain/session.js";
import { audited } from "../../platform/audit.js";
import { decodeCursor, encodeCursor, LIST_LIMIT } from "../../platform/cursor.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { SessionQueries } from "./ports.js";
import { sessionView, type SessionView } from "../../platform/session-view.js";

export interface SessionListQuery {
  statuses?: SessionStatus[];
  patientId?: string;
  providerId?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  cursor?: string;
}

/** Spec: GetSessionList — newest `scheduledStart` first, keyset-paginated by an opaque cursor. */
export class GetSessionList {
  constructor(private readonly deps: { queries: SessionQueries; audit: AuditPort }) {}

  execute(actor: Actor, query: SessionListQuery): Promise<{ items: SessionView[]; nextCursor: string | null }> {
    const targets: Record<string, string> = query.patientId ? { patientId: query.patientId } : {};
    return audited(
      this.deps.audit,
      { actor, action: "session.list", targets },
      async () => {
        assertPermission(actor, "session.read");
        const limit = query.limit ?? LIST_LIMIT.default;
        const rows = await this.deps.queries.list({
          tenantId: actor.tenantId,
          statuses: query.statuses,
          patientId: query.patientId,
          providerId: query.providerId,
          from: query.from,
          to: query.to,
          limit: limit + 1,
          after: query.cursor ? decodeCursor(query.cursor) : undefined,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        const nextCursor = rows.length > limit && last ? encodeCursor(last.scheduledStart, last.id) : null;
        return { items: page.map(sessionView), nextCursor };
      },
      { auditSuccess: true },
    );
  }
}
