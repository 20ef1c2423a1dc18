import { AckPolicy, DeliverPolicy, JetStreamApiCodes, type ConsumerMessages, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { EventOutcome, IncomingEvent } from "../../features/scheduling/ports.js";
import { backoffMs, errorSummary, pause, type WorkerLog } from "../../platform/backoff.js";
import { inLinkedSpan } from "../opentelemetry/trace-context.js";
import { parseCloudEvent } from "./cloud-event.js";
import { ensureStream, isApiError, STREAMS, type NatsClient } from "./nats-client.js";

export interface SchedulingSubscriberOptions {
  client: NatsClient;
  handle: (event: IncomingEvent, options: { lastAttempt: boolean }) => Promise<EventOutcome>;
  log: WorkerLog;
  /** Durable consumer name: replicas sharing it share the work. */
  durable: string;
  /** Unacknowledged deliveries come back after this long (a consumer that died mid-message). */
  ackWaitMs: number;
  /** Deliveries of one event at most (JetStream `max_deliver`); the last one never asks for a retry. */
  maxDeliver: number;
}

/**
 * Spec flow 4.4 transport: a durable pull consumer on stream SCHEDULING. Handled, duplicate and
 * ignored events are acked; refused ones terminated (never redelivered); transient failures are
 * negatively acked with a growing delay so they neither block the stream nor spin.
 */
export class SchedulingSubscriber {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;

  constructor(private readonly o: SchedulingSubscriberOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.messages?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const { js, jsm } = await this.o.client.jetstream();
        await ensureStream(jsm, STREAMS.scheduling, this.o.client.streamReplicas);
        await this.ensureConsumer(jsm);
        const consumer = await js.consumers.get(STREAMS.scheduling.name, this.o.durable);
        this.messages = await consumer.consume({ max_messages: 16 });
        if (this.abort.signal.aborted) this.messages.stop();
        failures = 0;
        for await (const m of this.messages) await this.process(m);
      } catch (err) {
        if (this.abort.signal.aborted) break;
        const wait = backoffMs(failures++, 500, 30_000);
        this.o.log.warn({ error: errorSummary(err), retryInMs: wait }, "scheduling consumer failed; backing off");
        await pause(wait, this.abort.signal);
      }
    }
  }

  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    // max_deliver is the server's backstop for a consumer that dies on every attempt; the
    // handler itself terminates on the last delivery (with a reason and an audit record).
    const config = { ack_policy: AckPolicy.Explicit, ack_wait: nanos(this.o.ackWaitMs), max_ack_pending: 100, max_deliver: this.o.maxDeliver };
    try {
      const info = await jsm.consumers.info(STREAMS.scheduling.name, this.o.durable);
      if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver) {
        await jsm.consumers.update(STREAMS.scheduling.name, this.o.durable, { ack_wait: config.ack_wait, max_deliver: config.max_deliver });
      }
      return;
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    // A new consumer starts with events published from now on (docs/decisions.md).
    await jsm.consumers.add(STREAMS.scheduling.name, { ...config, durable_name: this.o.durable, deliver_policy: DeliverPolicy.New });
  }

  private async process(m: JsMsg): Promise<void> {
    const { event, traceparent } = readEvent(m.string());
    // Continues the producer's trace (CloudEvents distributed-tracing extension), so the session
    // this event creates, its SQL and the events it publishes belong to the scheduler's trace.
    const attributes = {
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": m.subject,
      "messaging.consumer.group.name": this.o.durable,
      "messaging.message.id": event.id ?? "",
      "messaging.message.body.size": m.data.length,
      ...this.o.client.serverAttributes(),
    };
    const outcome = await inLinkedSpan(`process ${m.subject}`, "consumer", traceparent, attributes, async (): Promise<EventOutcome> => {
      try {
        return await this.o.handle(event, { lastAttempt: m.info.deliveryCount >= this.o.maxDeliver });
      } catch (err) {
        return { result: "retry", reason: errorSummary(err) };
      }
    });
    const fields = { eventId: event.id, stream: STREAMS.scheduling.name, seq: m.seq, deliveries: m.info.deliveryCount };
    switch (outcome.result) {
      case "retry": {
        const delay = backoffMs(m.info.deliveryCount - 1, 1000, 60_000);
        this.o.log.warn({ ...fields, reason: outcome.reason, retryInMs: delay }, "scheduling event failed; will be redelivered");
        m.nak(delay);
        return;
      }
      case "rejected":
        this.o.log.warn({ ...fields, reason: outcome.reason }, "scheduling event terminated");
        // The reason is logged and audited here; nats-server 2.9 does not understand "+TERM <reason>".
        m.term();
        return;
      default:
        this.o.log.info({ ...fields, result: outcome.result }, "scheduling event handled");
        m.ack();
    }
  }
}

function readEvent(body: string): { event: IncomingEvent; traceparent: string | null } {
  try {
    const ce = parseCloudEvent(body);
    const { tenantid, traceparent } = ce as unknown as Record<string, unknown>;
    return {
      event: {
        kind: "cloudevent",
        id: ce.id,
        source: ce.source,
        type: ce.type,
        tenantid: typeof tenantid === "string" ? tenantid : undefined,
        data: ce.data,
      },
      // Length-bounded: it only ever goes to the propagator, which rejects anything not W3C-shaped.
      traceparent: typeof traceparent === "string" && traceparent.length <= 64 ? traceparent : null,
    };
  } catch (err) {
    const loose = looseIdentity(body);
    return { event: { kind: "malformed", reason: errorSummary(err), ...loose }, traceparent: null };
  }
}

/** The id and source of an invalid event, when they can be read, so even it is handled once. */
function looseIdentity(body: string): { id?: string; source?: string } {
  try {
    const raw = JSON.parse(body) as Record<string, unknown>;
    const ok = (v: unknown) => (typeof v === "string" && v.length > 0 && v.length <= 200 ? v : undefined);
    return { id: ok(raw.id), source: ok(raw.source) };
  } catch {
    return {};
  }
}
