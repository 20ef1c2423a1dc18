import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { decodeCursor, encodeCursor, LIST_LIMIT } from "../../platform/cursor.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { DeliveryStatus, WebhookQueries } from "./ports.js";
import { deliveryView, type DeliveryView } from "./webhook-views.js";

/** The delivery log, newest first (keyset cursor): what was sent where, how often, and what came back. */
export class ListWebhookDeliveries {
  constructor(private readonly deps: { queries: WebhookQueries; audit: AuditPort }) {}

  execute(actor: Actor, query: { endpoint?: string; status?: DeliveryStatus; limit?: number; cursor?: string }): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    const targets: Record<string, string> = query.endpoint ? { endpoint: query.endpoint } : {};
    return audited(this.deps.audit, { actor, action: "webhook.delivery.list", targets }, async () => {
      assertPermission(actor, "webhook.read");
      const limit = query.limit ?? LIST_LIMIT.default;
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await this.deps.queries.deliveries(actor.tenantId, {
        endpoint: query.endpoint,
        status: query.status,
        limit: limit + 1,
        after: after ? { createdAt: after.scheduledStart, id: after.id } : undefined,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
    });
  }
}
