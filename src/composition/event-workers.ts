/** The outbox relay and the scheduling consumer, wired in plain code (the workers step, workers.ts, starts them). */
import type { FastifyBaseLogger } from "fastify";
import { HandleAppointmentEvent } from "../features/scheduling/handle-appointment-event.js";
import type { Clock, UnitOfWork } from "../platform/ports.js";
import type { EventPublisherPort } from "../platform/worker-ports.js";
import { LogEventPublisher } from "../adapters/log/log-event-publisher.js";
import { NatsClient } from "../adapters/nats/nats-client.js";
import { NatsEventPublisher } from "../adapters/nats/nats-event-publisher.js";
import { SchedulingSubscriber } from "../adapters/nats/scheduling-subscriber.js";
import type { Database } from "../adapters/postgres/connection/database.js";
import { PostgresInbox } from "../adapters/postgres/messaging/inbox-store.js";
import type { CommitListener } from "../adapters/postgres/signals/commit-notes.js";
import type { TransactionContext } from "../adapters/postgres/repositories/unit-of-work.js";
import type { AppointmentSessions } from "../features/scheduling/ports.js";
import { EmbeddedRelayStore, PostgresLeaderRelayStore } from "../adapters/postgres/messaging/outbox-relay-store.js";
import type { Config } from "../config.js";
import { OutboxRelay } from "../workers/outbox-relay.js";

export interface EventWiring {
  config: Config;
  database: Database;
  clock: Clock;
  uow: UnitOfWork;
  /** Told what the consumer's transactions committed (as the API's unit of work tells it). */
  commits: CommitListener;
  log: FastifyBaseLogger;
  /** The sessions feature's commands, run on the inbox's unit of work. */
  sessions: AppointmentSessions<UnitOfWork<TransactionContext>>;
  /** Counts a refused publish by stream and event type (the publish-failure counter). */
  onPublishFailure?: (stream: string, type: string) => void;
}

export interface EventWorkers {
  stop(): Promise<void>;
  relayLeader(): boolean;
  /** Wakes the relay for rows committed in this process; false when another replica leads. */
  wakeRelay(): boolean;
  /** Absent without NATS_URL. */
  natsConnected?: () => boolean;
}

/** Starts the relay (always) and the scheduling consumer (with NATS). */
export function startEventWorkers(w: EventWiring): EventWorkers {
  const { config, database, clock } = w;
  const nats = config.natsUrl ? new NatsClient(config.natsUrl, `virtual-care-${process.pid}`, config.natsStreamReplicas) : null;
  const publisher: EventPublisherPort = nats
    ? new NatsEventPublisher(nats, { publicBaseUrl: config.publicBaseUrl })
    : new LogEventPublisher(w.log.child({ component: "dev-event-sink" }));
  const store =
    database.kind === "postgres" && config.databaseUrl
      ? new PostgresLeaderRelayStore(config.databaseUrl, config.database)
      : new EmbeddedRelayStore(database.system);
  const relay = new OutboxRelay({
    store,
    publisher,
    clock,
    log: w.log.child({ component: "outbox-relay" }),
    batchSize: config.events.relayBatchSize,
    pollIntervalMs: config.events.relayPollIntervalMs,
    ...(w.onPublishFailure ? { onPublishFailure: w.onPublishFailure } : {}),
  });
  relay.start();

  let subscriber: SchedulingSubscriber | null = null;
  if (nats) {
    const handler = new HandleAppointmentEvent({
      inbox: new PostgresInbox(database.db, clock, w.commits),
      uow: w.uow,
      sessions: w.sessions,
    });
    subscriber = new SchedulingSubscriber({
      client: nats,
      handle: (event, options) => handler.handle(event, options),
      log: w.log.child({ component: "scheduling-consumer" }),
      durable: config.events.schedulingConsumerName,
      ackWaitMs: config.events.schedulingAckWaitMs,
      maxDeliver: config.events.schedulingMaxDeliver,
    });
    subscriber.start();
  }

  return {
    relayLeader: () => relay.isLeader,
    wakeRelay: () => relay.wake(),
    ...(nats ? { natsConnected: () => nats.connected() } : {}),
    stop: async () => {
      await subscriber?.stop();
      await relay.stop();
      await publisher.close();
      await nats?.close();
    },
  };
}
