import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort, TenantConfigRepository } from "../../platform/ports.js";
import type { DeliveryStatus, WebhookQueries } from "./ports.js";
import { endpointView, type EndpointView } from "./webhook-views.js";

/** The tenant's webhook endpoints with their health (active or disabled, failing since) and delivery counts. */
export class ListWebhookEndpoints {
  constructor(private readonly deps: { tenantConfigs: TenantConfigRepository; queries: WebhookQueries; audit: AuditPort }) {}

  execute(actor: Actor): Promise<{ items: EndpointView[] }> {
    return audited(this.deps.audit, { actor, action: "webhook.list", targets: { tenantId: actor.tenantId } }, async () => {
      assertPermission(actor, "webhook.read");
      const tenantId = actor.tenantId;
      const [config, states, counts] = await Promise.all([this.deps.tenantConfigs.get(tenantId), this.deps.queries.states(tenantId), this.deps.queries.counts(tenantId)]);
      const countsOf = (endpoint: string) => Object.fromEntries(counts.filter((c) => c.endpoint === endpoint).map((c) => [c.status, c.count])) as Partial<Record<DeliveryStatus, number>>;
      return { items: (config?.webhooks ?? []).map((w) => endpointView(w, states.find((s) => s.endpoint === w.name), countsOf(w.name))) };
    });
  }
}
