import type { HttpFeature } from "../../http/app.js";
import type { SystemUnitOfWork, TenantConfigRepository, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { DeliverDueWebhooks } from "./deliver-due-webhooks.js";
import { EnableWebhookEndpoint } from "./enable-webhook-endpoint.js";
import { FanOutWebhookEvents } from "./fan-out-webhook-events.js";
import { ListWebhookDeliveries } from "./list-webhook-deliveries.js";
import { ListWebhookEndpoints } from "./list-webhook-endpoints.js";
import type { SealedSecrets, WebhookBodies, WebhookQueries, WebhookSender, WebhooksTx } from "./ports.js";
import { RedeliverWebhook } from "./redeliver-webhook.js";
import { webhookRoutes } from "./routes.js";

export interface WebhookDeps extends SharedDeps {
  uow: UnitOfWork<WebhooksTx>;
  system: SystemUnitOfWork<WebhooksTx>;
  tenantConfigs: TenantConfigRepository;
  queries: WebhookQueries;
  sender: WebhookSender;
  bodies: WebhookBodies;
  secrets: SealedSecrets;
  retryDelaysMs: readonly number[];
  /** Longer than one attempt may take (the sender's timeout). */
  leaseMs: number;
}

/** Webhooks: the routes of the delivery log, and the two halves the dispatcher runs (fan-out, delivery). */
export function webhooksFeature(d: WebhookDeps): { http: HttpFeature; fanOut: FanOutWebhookEvents; deliver: DeliverDueWebhooks } {
  const http = webhookRoutes({
    listEndpoints: new ListWebhookEndpoints(d),
    listDeliveries: new ListWebhookDeliveries(d),
    enableEndpoint: new EnableWebhookEndpoint(d),
    redeliver: new RedeliverWebhook(d),
  });
  return { http, fanOut: new FanOutWebhookEvents(d), deliver: new DeliverDueWebhooks(d) };
}
