import { describeFailure } from "../platform/database-failure.js";
import type { Clock } from "../platform/ports.js";
import type { EventPublisherPort, OutboxMessage, OutboxRelayStore } from "./ports.js";
import { backoffMs, errorSummary, pause, type WorkerLog } from "./backoff.js";

export interface OutboxRelayOptions {
  store: OutboxRelayStore;
  publisher: EventPublisherPort;
  clock: Clock;
  log: WorkerLog;
  batchSize: number;
  /** Safety-net poll: how long to wait for a notification before looking anyway. */
  pollIntervalMs: number;
  /** How often a standby replica tries to become the leader. */
  standbyIntervalMs?: number;
  /** Cap of the backoff while the broker refuses (NATS down: nothing to gain from eager retries). */
  maxBackoffMs?: number;
  /**
   * Cap of the backoff while the database fails. Low, so the relay resumes within about this long
   * once the database is back; each try is one connection attempt, bounded by its connect timeout,
   * so a down database sees at most a few a second from a replica.
   */
  maxDatabaseBackoffMs?: number;
}

/**
 * Moves committed outbox rows to the broker (the transactional outbox, docs/asyncapi.yaml): oldest first, in batches,
 * marking rows published only after the broker acknowledged them. A crash between the ack and the
 * mark re-publishes the row with the same id, which the broker drops as a duplicate.
 */
export class OutboxRelay {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private failures = 0;
  private databaseFailures = 0;
  private leading = false;

  constructor(private readonly o: OutboxRelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.o.store.release().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const leader = await this.o.store.acquire();
        this.noteLeadership(leader);
        if (!leader) {
          await pause(this.o.standbyIntervalMs ?? 2000, signal);
          continue;
        }
        const batch = await this.o.store.pending(this.o.batchSize);
        this.databaseFailures = 0;
        if (batch.length === 0) {
          await this.o.store.waitForWork(this.o.pollIntervalMs, signal);
          continue;
        }
        const { published, failed } = await publishInOrder(batch, this.o.publisher);
        await this.o.store.markPublished(published, this.o.clock.now());
        for (const f of failed) await this.o.store.markFailed(f.id, f.error);
        if (published.length > 0) this.failures = 0;
        else await this.backOff({ failed: failed.length, error: failed[0]?.error }, "outbox relay could not publish; backing off");
      } catch (err) {
        // Database trouble (or leadership lost with the connection): start over from acquire().
        this.noteLeadership(false);
        await this.o.store.release().catch(() => undefined);
        const wait = backoffMs(this.databaseFailures++, 250, this.o.maxDatabaseBackoffMs ?? 1000);
        // Error class and code only: a query error's message quotes the query and its parameters.
        this.o.log.warn({ error: describeFailure(err), retryInMs: wait }, "outbox relay cannot reach the database; retrying");
        await pause(wait, this.abort.signal);
      }
    }
  }

  private async backOff(fields: object, message: string): Promise<void> {
    const wait = backoffMs(this.failures++, 250, this.o.maxBackoffMs ?? 30_000);
    this.o.log.warn({ ...fields, retryInMs: wait }, message);
    await pause(wait, this.abort.signal);
  }

  /**
   * Rows were committed in this process: relay them now. False when this replica does not lead,
   * so the caller tells the leader another way (change-signals.ts).
   */
  wake(): boolean {
    if (!this.leading) return false;
    this.o.store.wake();
    return true;
  }

  /** True while this replica leads (for the relay-leader gauge). */
  get isLeader(): boolean {
    return this.leading;
  }

  private noteLeadership(leader: boolean): void {
    if (leader !== this.leading) this.o.log.info({ leader }, leader ? "outbox relay is the leader" : "outbox relay is on standby");
    this.leading = leader;
  }
}

/**
 * Events of one aggregate (one session) are published one after another, each waiting for the
 * previous ack, and a failure stops that aggregate's chain so nothing overtakes it. Different
 * aggregates are published concurrently on the same connection.
 */
export async function publishInOrder(
  batch: OutboxMessage[],
  publisher: EventPublisherPort,
): Promise<{ published: string[]; failed: Array<{ id: string; error: string }> }> {
  const chains = new Map<string, OutboxMessage[]>();
  for (const m of batch) {
    const chain = chains.get(m.aggregateId);
    if (chain) chain.push(m);
    else chains.set(m.aggregateId, [m]);
  }
  const published: string[] = [];
  const failed: Array<{ id: string; error: string }> = [];
  await Promise.all(
    [...chains.values()].map(async (chain) => {
      for (const m of chain) {
        try {
          await publisher.publish(m);
          published.push(m.id);
        } catch (err) {
          failed.push({ id: m.id, error: errorSummary(err) });
          return;
        }
      }
    }),
  );
  return { published, failed };
}
