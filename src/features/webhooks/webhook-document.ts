import { WEBHOOK_EVENT_TYPES } from "../../domain/webhooks.js";

const header = (name: string, description: string, example: string) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string", maxLength: 1024 },
  example,
});

/**
 * The request this service sends to a tenant's webhook endpoint, as OpenAPI 3.1 `webhooks`
 * (what a receiver implements). The body's `data` per event type is in docs/asyncapi.yaml.
 */
export const webhookDocument = {
  "virtualcare-event": {
    post: {
      tags: ["webhooks"],
      operationId: "receiveVirtualCareEvent",
      // The receiver authenticates the sender by the signature header, not by an OpenAPI scheme.
      security: [],
      summary: "An event delivered to a tenant's endpoint (Standard Webhooks)",
      description:
        "Sent for each event type the endpoint subscribes to, after the change committed. Verify the signature over the raw body " +
        "(e.g. with the npm package `standardwebhooks`: `new Webhook(secret).verify(body, headers)`), reject timestamps more than " +
        "5 minutes off, and drop a `webhook-id` you already handled: delivery is at least once, in order per aggregate (one " +
        "session's events one after another). Any 2xx within 15 s is success; anything else is retried on the Standard Webhooks " +
        "schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h), `Retry-After` honoured; 410 Gone disables the endpoint.",
      parameters: [
        header("webhook-id", "The event id (CloudEvent `id`): the same on every attempt; the idempotency key.", "0b8f7c52-54a4-4f3c-9f1e-6b2b8f0c2d11"),
        header("webhook-timestamp", "Unix seconds of this attempt.", "1764583200"),
        header("webhook-signature", "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret (the base64 after `whsec_`).", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
      ],
      requestBody: {
        required: true,
        description: "The CloudEvent in structured JSON mode, the same bytes NATS consumers get.",
        content: {
          "application/cloudevents+json": {
            schema: {
              type: "object",
              required: ["specversion", "id", "source", "type", "time", "tenantid", "data"],
              properties: {
                specversion: { const: "1.0" },
                id: { type: "string", format: "uuid" },
                source: { const: "/virtual-care" },
                type: { type: "string", enum: [...WEBHOOK_EVENT_TYPES] },
                subject: { type: "string" },
                time: { type: "string", format: "date-time" },
                datacontenttype: { const: "application/json" },
                dataschema: { type: "string", format: "uri", description: "where the JSON Schema of `data` is served: {PUBLIC_BASE_URL}/schemas/events/{type}" },
                tenantid: { type: "string" },
                traceparent: { type: "string" },
                data: { type: "object", description: "per event type: docs/asyncapi.yaml" },
              },
            },
            example: {
              specversion: "1.0",
              id: "0b8f7c52-54a4-4f3c-9f1e-6b2b8f0c2d11",
              source: "/virtual-care",
              type: "virtualcare.session.ended.v1",
              subject: "virtualcare.session.ended.v1",
              time: "2026-12-01T10:31:00.000Z",
              datacontenttype: "application/json",
              dataschema: "https://care.example.org/schemas/events/virtualcare.session.ended.v1",
              tenantid: "acme",
              data: { sessionId: "6d1c1f40-6f0e-4a53-9d3f-2f7b8d4c9a10" },
            },
          },
        },
      },
      responses: {
        "200": { description: "Received (any 2xx)." },
        "410": { description: "Gone: the endpoint no longer wants events; it is disabled." },
        default: { description: "Anything else (or no answer within 15 s) is retried." },
      },
    },
  },
} as const;
