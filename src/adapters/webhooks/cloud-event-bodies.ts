import type { WebhookBodies } from "../../features/webhooks/ports.js";
import type { OutboxMessage } from "../../platform/worker-ports.js";
import { toCloudEvent } from "../nats/cloud-event.js";

/**
 * A webhook's body is the event's CloudEvent, structured JSON: the same bytes NATS consumers get,
 * `dataschema` included (with the service's public base URL it names the schema of `data`).
 */
export const cloudEventBodies = (publicBaseUrl?: string): WebhookBodies => ({
  render: (event: OutboxMessage) => toCloudEvent(event, event.traceparent, publicBaseUrl).body,
});
