import { CloudEvent, HTTP } from "cloudevents";
import type { OutboxMessage } from "../../platform/worker-ports.js";

/** Every event this service publishes names itself with this source. */
export const EVENT_SOURCE = "/virtual-care";

/**
 * Where the JSON Schema of an event type's `data` is served (`GET /schemas/events/{type}`, from
 * docs/asyncapi.yaml): the CloudEvent's `dataschema`, an absolute URI on this deployment.
 */
export const eventSchemaUrl = (publicBaseUrl: string, type: string): string => `${publicBaseUrl.replace(/\/+$/, "")}/schemas/events/${encodeURIComponent(type)}`;

/**
 * The CloudEvents 1.0 structured-mode JSON of an outbox row: subject = type, the tenant as the
 * `tenantid` extension, the row id as the event id (so a re-relay carries the same id), and the
 * trace context, when there is one, as the distributed-tracing extension `traceparent`. With the
 * service's public base URL, `dataschema` names the schema of the event's `data`.
 */
export function toCloudEvent(m: OutboxMessage, traceparent: string | null = m.traceparent, publicBaseUrl?: string): { body: string; contentType: string } {
  const event = new CloudEvent(
    {
      specversion: "1.0",
      id: m.id,
      source: EVENT_SOURCE,
      type: m.type,
      subject: m.type,
      time: m.occurredAt.toISOString(),
      datacontenttype: "application/json",
      ...(publicBaseUrl ? { dataschema: eventSchemaUrl(publicBaseUrl, m.type) } : {}),
      data: m.data,
      tenantid: m.tenantId,
      ...(traceparent ? { traceparent } : {}),
    },
    true,
  );
  const message = HTTP.structured(event);
  return { body: String(message.body), contentType: String(message.headers["content-type"]) };
}

/** A consumed structured-mode CloudEvent; throws when the body is not a valid CloudEvent 1.0. */
export function parseCloudEvent(body: string): CloudEvent<unknown> {
  const raw: unknown = JSON.parse(body);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new TypeError("the message is not a JSON object");
  return new CloudEvent(raw as Record<string, unknown>, true);
}
