import { NoRespondersError, headers } from "@nats-io/transport-node";
import type { EventPublisherPort, OutboxMessage } from "../../platform/worker-ports.js";
import { annotateActiveSpan, inLinkedSpan } from "../opentelemetry/trace-context.js";
import { toCloudEvent } from "./cloud-event.js";
import { ensureStream, STREAMS, type NatsClient } from "./nats-client.js";

/**
 * EventPublisherPort on NATS JetStream (the spec's nats-event-publisher adapter): the CloudEvent goes to the
 * subject named by its type, with `Nats-Msg-Id` = event id so the stream drops a re-relay.
 */
export class NatsEventPublisher implements EventPublisherPort {
  private streamsReady: Promise<void> | null = null;

  private readonly publishTimeoutMs: number;
  private readonly publicBaseUrl: string | undefined;

  constructor(
    private readonly client: NatsClient,
    /** `publicBaseUrl`: PUBLIC_BASE_URL, for each event's `dataschema` (absent: events carry none). */
    options: { publicBaseUrl?: string; publishTimeoutMs?: number } = {},
  ) {
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.publicBaseUrl = options.publicBaseUrl;
  }

  publish(m: OutboxMessage): Promise<void> {
    // The publish continues the trace of the transaction that wrote the row, and the event carries
    // the publish span's context (or the row's, when this replica does not trace). Named and
    // described by the messaging conventions: `{operation} {destination}`.
    const attributes = {
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.destination.name": m.type,
      "messaging.message.id": m.id,
    };
    return inLinkedSpan(`publish ${m.type}`, "producer", m.traceparent, attributes, (traceparent) => this.send(m, traceparent ?? m.traceparent));
  }

  private async send(m: OutboxMessage, traceparent: string | null): Promise<void> {
    const { js } = await this.ready();
    const { body, contentType } = toCloudEvent(m, traceparent, this.publicBaseUrl);
    const h = headers();
    h.set("content-type", contentType);
    annotateActiveSpan({ ...this.client.serverAttributes(), "messaging.message.body.size": Buffer.byteLength(body) });
    try {
      await js.publish(m.type, body, { msgID: m.id, headers: h, timeout: this.publishTimeoutMs, retries: 1 });
    } catch (err) {
      // No stream answered (e.g. a server restarted without its store): create the streams again.
      if (err instanceof NoRespondersError || (err as { cause?: unknown }).cause instanceof NoRespondersError) this.streamsReady = null;
      throw err;
    }
  }

  /** The stream that stores events of this type (subjects in STREAMS). */
  destinationOf(type: string): string {
    return type.startsWith("audit.") ? STREAMS.audit.name : STREAMS.virtualCare.name;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async ready() {
    const handles = await this.client.jetstream();
    this.streamsReady ??= (async () => {
      await ensureStream(handles.jsm, STREAMS.virtualCare, this.client.streamReplicas);
      await ensureStream(handles.jsm, STREAMS.audit, this.client.streamReplicas);
    })().catch((err: unknown) => {
      this.streamsReady = null;
      throw err;
    });
    await this.streamsReady;
    return handles;
  }
}
