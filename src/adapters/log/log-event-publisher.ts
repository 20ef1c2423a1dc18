import type { EventPublisherPort, OutboxMessage } from "../../platform/worker-ports.js";

/**
 * The dev sink used without NATS_URL: it "publishes" by logging the event's type
 * and id only — never `data`, which may name patients — so the embedded default drains its outbox.
 */
export class LogEventPublisher implements EventPublisherPort {
  constructor(private readonly log: { info(fields: object, message: string): void }) {}

  publish(m: OutboxMessage): Promise<void> {
    this.log.info({ eventType: m.type, eventId: m.id }, "event relayed to the dev log sink");
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
