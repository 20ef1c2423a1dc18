import { Type } from "@sinclair/typebox";
import { WEBHOOK_EVENT_TYPES } from "../../domain/webhooks.js";
import { OneOf, WrittenDateTime } from "../../platform/schemas.js";
import { deliveryStatuses } from "./ports.js";

/** Shapes of the webhook routes (the endpoints themselves are configured in PUT /v1/tenant-config). */
const When = Type.Union([Type.Null(), WrittenDateTime]);
export const EndpointName = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$", description: "the endpoint's name in the tenant config", examples: ["ehr-sync"] });

/** Example values of the webhook shapes (fictional), for the OpenAPI document. */
export const EXAMPLE_WEBHOOK_ENDPOINT = {
  name: "ehr-sync",
  url: "https://hooks.example.org/virtual-care",
  eventTypes: ["virtualcare.session.created.v1", "virtualcare.session.ended.v1"],
  status: "disabled",
  disabledAt: "2030-01-10T06:12:00.000Z",
  disabledReason: "failing",
  failingSince: "2030-01-07T09:00:05.000Z",
  lastSuccessAt: "2030-01-07T08:31:00.000Z",
  lastFailureAt: "2030-01-10T06:12:00.000Z",
  deliveries: { pending: 3, delivered: 118, failed: 1, cancelled: 0 },
};
export const EXAMPLE_WEBHOOK_DELIVERY = {
  id: "3e8b1f6a-0c4d-4b7e-9a25-d1f7c3e9b084",
  endpoint: "ehr-sync",
  eventId: "0b8f7c52-54a4-4f3c-9f1e-6b2b8f0c2d11",
  eventType: "virtualcare.session.ended.v1",
  status: "failed",
  attempts: 10,
  nextAttemptAt: null,
  firstAttemptAt: "2030-01-07T09:00:05.000Z",
  lastAttemptAt: "2030-01-10T06:12:00.000Z",
  lastStatus: 503,
  lastError: "HTTP 503",
  createdAt: "2030-01-07T09:00:04.000Z",
  deliveredAt: null,
};

export const WebhookEndpointStatus = Type.Object(
  {
    name: EndpointName,
    url: Type.String(),
    eventTypes: Type.Array(Type.String({ enum: [...WEBHOOK_EVENT_TYPES] }), { maxItems: WEBHOOK_EVENT_TYPES.length }),
    status: OneOf(["active", "disabled"] as const, "disabled: given up on (410 Gone, or failing for a whole retry schedule); POST …/enable turns it back on"),
    disabledAt: When,
    disabledReason: Type.Union([Type.Null(), OneOf(["gone", "failing"] as const)]),
    failingSince: Type.Union([Type.Null(), WrittenDateTime], { description: "the first failed attempt since the last success; null while it answers" }),
    lastSuccessAt: When,
    lastFailureAt: When,
    deliveries: Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer(), cancelled: Type.Integer() }),
  },
  { $id: "WebhookEndpointStatus", examples: [EXAMPLE_WEBHOOK_ENDPOINT] },
);

export const WebhookDelivery = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    endpoint: EndpointName,
    eventId: Type.String({ format: "uuid", description: "the CloudEvent id, sent as webhook-id on every attempt" }),
    eventType: Type.String(),
    status: OneOf(deliveryStatuses, "pending (waiting or retrying), delivered (2xx), failed (retry schedule used up), cancelled (endpoint removed)"),
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: When,
    firstAttemptAt: When,
    lastAttemptAt: When,
    lastStatus: Type.Union([Type.Null(), Type.Integer()], { description: "the receiver's HTTP status at the last attempt (null: no answer)" }),
    lastError: Type.Union([Type.Null(), Type.String()], { description: "why the last attempt failed (e.g. HTTP 500, timed out, address not allowed)" }),
    createdAt: WrittenDateTime,
    deliveredAt: When,
  },
  { $id: "WebhookDelivery", examples: [EXAMPLE_WEBHOOK_DELIVERY] },
);

export const DeliveriesQuery = Type.Object(
  {
    endpoint: Type.Optional({ ...EndpointName, description: "only this endpoint's deliveries" }),
    status: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed"), Type.Literal("cancelled")], { description: "only deliveries in this status", examples: ["failed"] })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: "page size", examples: [20] })),
    cursor: Type.Optional(Type.String({ maxLength: 512, description: "`nextCursor` of the previous page", examples: ["WyIyMDMwLTAxLTA3VDA5OjAwOjA0LjAwMFoiLCIzZThiMWY2YS0wYzRkLTRiN2UtOWEyNS1kMWY3YzNlOWIwODQiXQ"] })),
  },
  { additionalProperties: false },
);
