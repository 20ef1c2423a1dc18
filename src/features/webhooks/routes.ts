import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpFeature } from "../../http/app.js";
import { json, problems } from "../../http/openapi/responses.js";
import type { EnableWebhookEndpoint } from "./enable-webhook-endpoint.js";
import type { ListWebhookDeliveries } from "./list-webhook-deliveries.js";
import type { ListWebhookEndpoints } from "./list-webhook-endpoints.js";
import type { RedeliverWebhook } from "./redeliver-webhook.js";
import { DeliveriesQuery, EndpointName, EXAMPLE_WEBHOOK_DELIVERY, EXAMPLE_WEBHOOK_ENDPOINT, WebhookDelivery, WebhookEndpointStatus } from "./schemas.js";
import { webhookDocument } from "./webhook-document.js";

const tags = ["webhooks"];
const security = [{ bearerAuth: [] }];

export interface WebhookServices {
  listEndpoints: ListWebhookEndpoints;
  listDeliveries: ListWebhookDeliveries;
  enableEndpoint: EnableWebhookEndpoint;
  redeliver: RedeliverWebhook;
}

/** The delivery log and recovery of a tenant's Standard Webhooks endpoints (admins). */
export function webhookRoutes(services: WebhookServices): HttpFeature {
  return {
    schemas: [WebhookEndpointStatus, WebhookDelivery],
    openapiWebhooks: webhookDocument,
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      app.addHook("onRequest", app.authenticateStaff);

      app.get(
        "/webhooks",
        {
          schema: {
            tags,
            security,
            operationId: "listWebhookEndpoints",
            summary: "The tenant's webhook endpoints and how delivery to them goes",
            description:
              "Endpoints are configured in PUT /v1/tenant-config (`webhooks`). Each shows whether it is active or disabled, " +
              "since when it fails, and its deliveries by status. Admins.",
            response: {
              200: json(Type.Object({ items: Type.Array(Type.Ref(WebhookEndpointStatus), { maxItems: 10 }) }), "Every endpoint of the tenant config, with its health", {
                example: { items: [EXAMPLE_WEBHOOK_ENDPOINT] },
              }),
              ...problems("FORBIDDEN"),
            },
          },
        },
        (req) => services.listEndpoints.execute(req.actor),
      );

      app.get(
        "/webhooks/deliveries",
        {
          schema: {
            tags,
            security,
            operationId: "listWebhookDeliveries",
            summary: "The delivery log, newest first",
            description: "One row per event and endpoint: attempts, the last answer, when the next attempt is due. Never the body. Admins.",
            querystring: DeliveriesQuery,
            response: {
              200: json(
                Type.Object({
                  items: Type.Array(Type.Ref(WebhookDelivery), { maxItems: 100 }),
                  nextCursor: Type.Union([Type.String(), Type.Null()], { description: "pass it as `cursor` for the next page; null on the last" }),
                }),
                "One page of the delivery log",
                { example: { items: [EXAMPLE_WEBHOOK_DELIVERY], nextCursor: null } },
              ),
              ...problems("VALIDATION_FAILED", "FORBIDDEN"),
            },
          },
        },
        (req) => services.listDeliveries.execute(req.actor, req.query),
      );

      app.post(
        "/webhooks/:name/enable",
        {
          schema: {
            tags,
            security,
            operationId: "enableWebhookEndpoint",
            summary: "Turn a disabled endpoint back on",
            description: "What waited for it while disabled is sent at once, in order. An active endpoint is left as it is. Admins.",
            params: Type.Object({ name: EndpointName }),
            response: {
              200: json(
                Type.Object({ endpoint: Type.String(), resumed: Type.Integer({ minimum: 0, description: "pending deliveries made due now" }) }),
                "The endpoint is active; `resumed` deliveries are sent now",
                { example: { endpoint: "ehr-sync", resumed: 3 } },
              ),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "NOT_FOUND"),
            },
          },
        },
        (req) => services.enableEndpoint.execute(req.actor, req.params.name),
      );

      app.post(
        "/webhooks/deliveries/:id/retry",
        {
          schema: {
            tags,
            security,
            operationId: "retryWebhookDelivery",
            summary: "Send a failed delivery again",
            description: "A delivery whose retry schedule ran out starts over, with the same body and webhook-id. Any other status: 409. Admins.",
            params: Type.Object({ id: Type.String({ format: "uuid", description: "the delivery's id", examples: [EXAMPLE_WEBHOOK_DELIVERY.id] }) }),
            response: {
              200: json(Type.Ref(WebhookDelivery), "The delivery, pending again and due now", { example: { ...EXAMPLE_WEBHOOK_DELIVERY, status: "pending", attempts: 0, firstAttemptAt: null, nextAttemptAt: "2030-01-10T09:15:00.000Z" } }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "NOT_FOUND", "INVALID_STATUS_TRANSITION"),
            },
          },
        },
        (req) => services.redeliver.execute(req.actor, req.params.id),
      );
    },
  };
}
