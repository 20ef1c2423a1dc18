/**
 * Relay benchmark (not a test): events/s from commit to JetStream ack and commit→ack latency of
 * the production relay (leader store + NATS publisher), beside a raw JetStream publish loop with
 * the same client on the same server. Uses a fresh PostgreSQL database and the NATS at
 * BENCH_NATS_URL (default nats://127.0.0.1:4222). Run: npm run bench:relay
 */
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import type { EventPublisherPort, OutboxMessage } from "../src/platform/worker-ports.js";
import { toCloudEvent } from "../src/adapters/nats/cloud-event.js";
import { NatsClient } from "../src/adapters/nats/nats-client.js";
import { NatsEventPublisher } from "../src/adapters/nats/nats-event-publisher.js";
import { openDatabase } from "../src/adapters/postgres/connection/database.js";
import { PostgresLeaderRelayStore } from "../src/adapters/postgres/messaging/outbox-relay-store.js";
import { PostgresUnitOfWork } from "../src/adapters/postgres/repositories/unit-of-work.js";
import { ChangeSignals } from "../src/adapters/postgres/signals/change-signals.js";
import { systemClock } from "../src/composition/system-clock.js";
import { OutboxRelay } from "../src/workers/outbox-relay.js";
import { createTestDatabase } from "../test/support/postgres.js";

const NATS_URL = process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
const SESSIONS = 100;
const quiet = { info() {}, warn() {}, error() {} };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 0);

/** Records when the broker acknowledged each event. */
class TimedPublisher implements EventPublisherPort {
  readonly ackedAt = new Map<string, number>();
  constructor(private readonly inner: EventPublisherPort) {}
  async publish(m: OutboxMessage): Promise<void> {
    await this.inner.publish(m);
    this.ackedAt.set(m.id, performance.now());
  }
  close() {
    return this.inner.close();
  }
}

function sampleMessage(tenantId: string, sessionId: string, n: number): OutboxMessage {
  return {
    id: randomUUID(),
    seq: n,
    tenantId,
    aggregateType: "session",
    aggregateId: sessionId,
    type: "virtualcare.session.fallback_initiated.v1",
    data: { sessionId, n, reason: "benchmark", measuredKbps: 100 },
    occurredAt: new Date(),
    traceparent: null,
  };
}

/** The limit: the same client publishing CloudEvents of the same size with Nats-Msg-Id. */
async function rawLoop(inFlight: number): Promise<number> {
  const nc = await connect({ servers: NATS_URL });
  const js = jetstream(nc);
  const tenant = `bench-raw-${randomUUID().slice(0, 8)}`;
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += inFlight) {
    await Promise.all(
      Array.from({ length: Math.min(inFlight, EVENTS - i) }, (_, k) => {
        const m = sampleMessage(tenant, `s-${(i + k) % SESSIONS}`, i + k);
        const { body, contentType } = toCloudEvent(m);
        const h = headers();
        h.set("content-type", contentType);
        return js.publish(m.type, body, { msgID: m.id, headers: h });
      }),
    );
  }
  const rate = EVENTS / ((performance.now() - start) / 1000);
  await nc.close();
  return rate;
}

/**
 * How the relay learns of a commit: `in-process` (the writer is the relay's own process: woken
 * directly), `notify` (the writer is another replica: one coalesced NOTIFY after its commit), or
 * `trigger` (before issue 14: migration 0001's statement trigger, a NOTIFY inside every writing
 * transaction; re-installed here for the comparison).
 */
type Wake = "in-process" | "notify" | "trigger";

async function relayRun(mode: "backlog" | "live", wake: Wake = "in-process"): Promise<{ rate: number; p50: number; p99: number; writeRate: number }> {
  const testDb = await createTestDatabase();
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir: "/tmp", migrate: true, poolSize: 8 });
  if (wake === "trigger") {
    await database.pool!.query(`create function virtual_care_outbox_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('virtual_care_outbox', ''); return null; end $$`);
    await database.pool!.query(`create trigger virtual_care_outbox_notify after insert on virtual_care_outbox
      for each statement execute function virtual_care_outbox_notify()`);
  }
  const signals = new ChangeSignals(database.pool, "relay-bench");
  const uow = new PostgresUnitOfWork(database.db, systemClock, wake === "trigger" ? undefined : signals);
  const tenant = `bench-relay-${randomUUID().slice(0, 8)}`;
  const committedAt = new Map<string, number>();
  const nats = new NatsClient(NATS_URL, "relay-bench");
  const publisher = new TimedPublisher(new NatsEventPublisher(nats));
  const relay = new OutboxRelay({
    store: new PostgresLeaderRelayStore(testDb.url),
    publisher,
    clock: systemClock,
    log: quiet,
    batchSize: 200,
    pollIntervalMs: 1000,
  });
  signals.attach({ wakeRelay: () => wake === "in-process" && relay.wake(), sessionsChanged: () => undefined });
  const sessions = Array.from({ length: SESSIONS }, () => randomUUID());
  // 8 writers, 5 events per transaction, like a busy API.
  const write = async () => {
    const perWriter = EVENTS / 8;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < perWriter; i += 5) {
          const batch = Array.from({ length: 5 }, (_, k) => sampleMessage(tenant, sessions[(w * 13 + i + k) % SESSIONS]!, i + k));
          await uow.run(tenant, (tx) => tx.outbox.add(batch.map((m) => ({ ...m, type: m.type as never, aggregateType: "session" as const }))));
          const now = performance.now();
          for (const m of batch) committedAt.set(m.id, now);
        }
      }),
    );
  };
  let writeRate = NaN;
  const timedWrite = async () => {
    const began = performance.now();
    await write();
    writeRate = EVENTS / ((performance.now() - began) / 1000);
  };
  if (mode === "backlog") await timedWrite();
  const start = performance.now();
  relay.start();
  if (mode === "live") {
    // Leadership first, so the in-process wake has a leader to wake.
    while (!relay.isLeader) await new Promise((r) => setTimeout(r, 5));
    await timedWrite();
  }
  while (publisher.ackedAt.size < EVENTS) await new Promise((r) => setTimeout(r, 5));
  const first = mode === "backlog" ? start : Math.min(...committedAt.values());
  const last = Math.max(...publisher.ackedAt.values());
  await relay.stop();
  await nats.close();
  await database.close();
  await testDb.drop();
  const lat = [...publisher.ackedAt].map(([id, at]) => at - (mode === "backlog" ? start : committedAt.get(id)!));
  return { rate: EVENTS / ((last - first) / 1000), p50: pct(lat, 50), p99: pct(lat, 99), writeRate };
}

async function main() {
  // The relay creates VIRTUAL_CARE if missing; make sure it exists before the raw loop uses it.
  const nc = await connect({ servers: NATS_URL });
  await jetstreamManager(nc);
  await nc.close();
  await relayRun("backlog").catch(() => undefined); // warm-up (JIT, streams, connections)

  const rawSeq = await rawLoop(1);
  const rawPipelined = await rawLoop(200);
  const backlog = await relayRun("backlog");
  const live = await relayRun("live", "in-process");
  const fromReplica = await relayRun("live", "notify");
  const trigger = await relayRun("live", "trigger");
  console.log(`relay benchmark: ${EVENTS} events over ${SESSIONS} sessions, NATS ${NATS_URL}, PostgreSQL 127.0.0.1:5432`);
  console.log(`raw JetStream publish, 1 in flight:       ${fmt(rawSeq)} events/s`);
  console.log(`raw JetStream publish, 200 in flight:     ${fmt(rawPipelined)} events/s  (the limit)`);
  console.log(`relay, draining a committed backlog:      ${fmt(backlog.rate)} events/s  = ${fmt((100 * backlog.rate) / rawPipelined)}% of the limit`);
  console.log(`relay, live (8 writers, commit→ack):      ${fmt(live.rate)} events/s  = ${fmt((100 * live.rate) / rawPipelined)}% of the limit`);
  console.log(`commit→JetStream ack latency (live):      p50 ${fmt(live.p50)} ms, p99 ${fmt(live.p99)} ms`);
  console.log("wake-up after commit vs NOTIFY inside the transaction (live, 8 writers, 5 events a transaction):");
  for (const [name, r] of [["in process (the writer leads the relay)", live], ["NOTIFY after commit (another replica)", fromReplica], ["trigger NOTIFY in the transaction (before)", trigger]] as const) {
    console.log(`  ${name.padEnd(44)} commit→ack p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms; writers committed ${fmt(r.writeRate)} events/s`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
