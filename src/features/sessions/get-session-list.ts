import { validationFailed } from "../../domain/errors.js";
import type { SessionStatus } from "../../domain/session.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort, SessionQueries } from "../../platform/ports.js";
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

export const LIST_LIMIT = { default: 20, max: 100 } as const;

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

export function encodeCursor(scheduledStart: Date, id: string): string {
  return Buffer.from(JSON.stringify([scheduledStart.toISOString(), id])).toString("base64url");
}

export function decodeCursor(cursor: string): { scheduledStart: Date; id: string } {
  try {
    const [start, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const scheduledStart = new Date(String(start));
    if (typeof start !== "string" || typeof id !== "string" || Number.isNaN(scheduledStart.getTime())) throw new Error();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Error();
    const year = scheduledStart.getUTCFullYear();
    if (year < 1970 || year > 9999) throw new Error();
    return { scheduledStart, id };
  } catch {
    throw validationFailed("cursor is not one this service issued", [{ path: "/cursor", message: "invalid cursor" }]);
  }
}
