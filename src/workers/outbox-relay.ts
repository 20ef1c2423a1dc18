import { describeFailure } from "../platform/database-failure.js";
import type { Clock } from "../platform/ports.js";
import type { EventPublisherPort, OutboxMessage, OutboxRelayStore } from "../platform/worker-ports.js";
import { backoffMs, errorSummary, pause, type WorkerLog } from "../platform/backoff.js";
import { chainKey, RelayHolds } from "./relay-holds.js";

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
  /**
   * Cap of the backoff of a held destination or aggregate (NATS down, a full stream, a refused
   * row): how long recovery can lag once the broker takes events again.
   */
  maxBackoffMs?: number;
  /** Told of every refused publish, by destination (stream) and event type: the failure counter. */
  onPublishFailure?: (destination: string, type: string) => void;
  /**
   * Cap of the backoff while the database fails. Low, so the relay resumes within about this long
   * once the database is back; each try is one connection attempt, bounded by its connect timeout,
   * so a down database sees at most a few a second from a replica.
   */
  maxDatabaseBackoffMs?: number;
  /**
   * After a pass that found rows but not a full batch, how long to let more commits gather before
   * the next pass (default 10 ms). Under steady load (every read writes an audit row) the relay
   * otherwise ran a pass per commit or two, each a SELECT and an UPDATE: as many statements as the
   * requests themselves (issue 23). A row committed while the relay is idle still goes at once.
   */
  gatherMs?: number;
}

const DEFAULT_GATHER_MS = 10;

/**
 * Moves committed outbox rows to the broker (the transactional outbox, docs/asyncapi.yaml): oldest first, in batches,
 * marking rows published only after the broker acknowledged them. A crash between the ack and the
 * mark re-publishes the row with the same id, which the broker drops as a duplicate. What the
 * broker refuses is held back (relay-holds.ts) so that it does not hold everything else.
 */
export class OutboxRelay {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private databaseFailures = 0;
  private leading = false;
  private readonly holds: RelayHolds;

  constructor(private readonly o: OutboxRelayOptions) {
    this.holds = new RelayHolds((type) => this.destinationOf(type), o.maxBackoffMs ?? 5_000);
  }

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
        const batch = await this.o.store.pending(this.o.batchSize, this.holds.filter());
        this.databaseFailures = 0;
        if (batch.length === 0) {
          // Nothing publishable: wait for new rows, or until the first hold ends.
          const holdEnds = this.holds.nextExpiryInMs();
          await this.o.store.waitForWork(holdEnds === null ? this.o.pollIntervalMs : Math.min(this.o.pollIntervalMs, holdEnds + 1), signal);
          continue;
        }
        const { published, failed } = await this.publishBatch(batch);
        await this.o.store.markPublished(published, this.o.clock.now());
        for (const f of failed) await this.o.store.markFailed(f.id, f.error);
        this.noteFailures(batch, published, failed);
        // A full batch means a backlog: go on at once. Otherwise let the next rows gather.
        if (batch.length < this.o.batchSize) await pause(this.o.gatherMs ?? DEFAULT_GATHER_MS, signal);
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

  /**
   * A destination whose hold just ended is probed with its oldest row alone: while it still
   * refuses, that costs one refused publish per hold instead of a batch of them.
   */
  private async publishBatch(batch: OutboxMessage[]): Promise<{ published: string[]; failed: Array<{ id: string; error: string }> }> {
    const published: string[] = [];
    const failed: Array<{ id: string; error: string }> = [];
    let rest = batch;
    for (const destination of this.holds.probing()) {
      const probe = rest.find((m) => this.destinationOf(m.type) === destination);
      if (!probe) continue;
      const outcome = await publishInOrder([probe], this.o.publisher);
      published.push(...outcome.published);
      failed.push(...outcome.failed);
      rest = outcome.failed.length > 0 ? rest.filter((m) => this.destinationOf(m.type) !== destination) : rest.filter((m) => m !== probe);
    }
    const outcome = await publishInOrder(rest, this.o.publisher);
    return { published: [...published, ...outcome.published], failed: [...failed, ...outcome.failed] };
  }

  /** Counts and logs failures, and holds back what failed so the rest keeps flowing (relay-holds.ts). */
  private noteFailures(batch: OutboxMessage[], published: string[], failed: Array<{ id: string; error: string }>): void {
    const byId = new Map(batch.map((m) => [m.id, m]));
    const failedRows = failed.map((f) => byId.get(f.id)).filter((m): m is OutboxMessage => m !== undefined);
    for (const m of failedRows) this.o.onPublishFailure?.(this.destinationOf(m.type), m.type);
    const changes = this.holds.record({ published: published.map((id) => byId.get(id)).filter((m): m is OutboxMessage => m !== undefined), failed: failedRows });
    for (const destination of changes.destinationsHeld) {
      const example = failed.find((f) => this.destinationOf(byId.get(f.id)?.type ?? "") === destination);
      this.o.log.warn({ destination, error: example?.error }, "outbox relay: the destination refuses every event; holding its events back, the others keep flowing");
    }
    for (const destination of changes.destinationsReleased) this.o.log.info({ destination }, "outbox relay: the destination accepts events again");
    if (changes.aggregatesHeld > 0) {
      this.o.log.warn({ aggregates: changes.aggregatesHeld, error: failed[0]?.error }, "outbox relay: events refused; holding back their aggregates");
    }
  }

  private destinationOf(type: string): string {
    return this.o.publisher.destinationOf?.(type) ?? "events";
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
    if (!leader) this.holds.clear();
    this.leading = leader;
  }
}

/**
 * Events of one aggregate (one session; a session's audit records are an aggregate of their own,
 * type "audit", on a stream of their own) are published one after another, each waiting for the
 * previous ack, and a failure stops that aggregate's chain so nothing overtakes it. Different
 * aggregates are published concurrently on the same connection.
 */
export async function publishInOrder(
  batch: OutboxMessage[],
  publisher: EventPublisherPort,
): Promise<{ published: string[]; failed: Array<{ id: string; error: string }> }> {
  const chains = new Map<string, OutboxMessage[]>();
  for (const m of batch) {
    const chain = chains.get(chainKey(m));
    if (chain) chain.push(m);
    else chains.set(chainKey(m), [m]);
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
