import { NoRespondersError, headers } from "@nats-io/transport-node";
import type { EventPublisherPort, OutboxMessage } from "../../workers/ports.js";
import { inLinkedSpan } from "../opentelemetry/trace-context.js";
import { toCloudEvent } from "./cloud-event.js";
import { ensureStream, STREAMS, type NatsClient } from "./nats-client.js";

/**
 * EventPublisherPort on NATS JetStream (the spec's nats-event-publisher adapter): the CloudEvent goes to the
 * subject named by its type, with `Nats-Msg-Id` = event id so the stream drops a re-relay.
 */
export class NatsEventPublisher implements EventPublisherPort {
  private streamsReady: Promise<void> | null = null;

  constructor(
    private readonly client: NatsClient,
    private readonly publishTimeoutMs = 5000,
  ) {}

  publish(m: OutboxMessage): Promise<void> {
    // The publish continues the trace of the transaction that wrote the row, and the event carries
    // the publish span's context (or the row's, when this replica does not trace).
    const attributes = { "messaging.system": "nats", "messaging.operation.type": "send", "messaging.destination.name": m.type, "messaging.message.id": m.id };
    return inLinkedSpan(`send ${m.type}`, "producer", m.traceparent, attributes, (traceparent) => this.send(m, traceparent ?? m.traceparent));
  }

  private async send(m: OutboxMessage, traceparent: string | null): Promise<void> {
    const { js } = await this.ready();
    const { body, contentType } = toCloudEvent(m, traceparent);
    const h = headers();
    h.set("content-type", contentType);
    try {
      await js.publish(m.type, body, { msgID: m.id, headers: h, timeout: this.publishTimeoutMs, retries: 1 });
    } catch (err) {
      // No stream answered (e.g. a server restarted without its store): create the streams again.
      if (err instanceof NoRespondersError || (err as { cause?: unknown }).cause instanceof NoRespondersError) this.streamsReady = null;
      throw err;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async ready() {
    const handles = await this.client.jetstream();
    this.streamsReady ??= (async () => {
      await ensureStream(handles.jsm, STREAMS.virtualCare);
      await ensureStream(handles.jsm, STREAMS.audit);
    })().catch((err: unknown) => {
      this.streamsReady = null;
      throw err;
    });
    await this.streamsReady;
    return handles;
  }
}
