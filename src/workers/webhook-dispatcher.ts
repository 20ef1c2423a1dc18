import type { Delivery } from "../features/webhooks/ports.js";
import { backoffMs, pause, type WorkerLog } from "../platform/backoff.js";
import { describeFailure } from "../platform/database-failure.js";

export interface WebhookDispatcherOptions {
  /** Turns committed outbox events into deliveries; the count it fanned out (0: none, or another replica is at it). */
  fanOut: { run(limit?: number): Promise<number> };
  deliveries: { claim(limit: number): Promise<Delivery[]>; deliver(d: Delivery): Promise<unknown> };
  /** Sends in flight at once from this replica: a slow receiver holds one slot, not the others. */
  concurrency: number;
  /** How long to wait for a wake-up before looking anyway (other replicas' commits, retries coming due). */
  pollIntervalMs: number;
  log: WorkerLog;
}

/** How long a pass waits for more commits when it was woken while it ran. */
const GATHER_MS = 10;

/**
 * The webhook loop: fan out what the outbox holds, then keep up to `concurrency` deliveries in
 * flight, claiming more as sends finish. Woken by this process's commits (and by its own finished
 * sends); otherwise it polls. Every replica runs one: the fan-out is one at a time by an advisory
 * lock, the deliveries are leased, so replicas share the sending.
 */
export class WebhookDispatcher {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private woken = false;
  private waiter: (() => void) | null = null;
  private failures = 0;

  constructor(private readonly o: WebhookDispatcherOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Something was committed or a send finished: look again now. */
  wake(): void {
    this.woken = true;
    this.waiter?.();
  }

  /** Stops claiming; sends under way finish (their leases would otherwise have to run out first). */
  async stop(): Promise<void> {
    this.abort.abort();
    this.waiter?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        this.woken = false;
        const fanned = await this.o.fanOut.run();
        const free = this.o.concurrency - this.inFlight.size;
        const claimed = free > 0 ? await this.o.deliveries.claim(free) : [];
        for (const d of claimed) this.send(d);
        this.failures = 0;
        if (fanned === 0 && claimed.length === 0) await this.idle(this.o.pollIntervalMs);
        else if (claimed.length === 0 && free <= 0) await this.idle(this.o.pollIntervalMs);
      } catch (err) {
        const wait = backoffMs(this.failures++, 250, 5_000);
        this.o.log.warn({ error: describeFailure(err), retryInMs: wait }, "webhook dispatcher failed a pass; retrying");
        await pause(wait, signal);
      }
    }
  }

  private send(d: Delivery): void {
    const sending = this.o.deliveries
      .deliver(d)
      .catch((err: unknown) => this.o.log.warn({ deliveryId: d.id, error: describeFailure(err) }, "webhook delivery could not be recorded; its lease runs out and it is tried again"))
      .finally(() => {
        this.inFlight.delete(sending);
        this.wake();
      });
    this.inFlight.add(sending);
  }

  private idle(ms: number): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    // Woken during the pass (steady commits): let the next ones gather briefly, so that under load
    // a pass (a fan-out and a claim transaction) serves many commits, not one (issue 23).
    if (this.woken) return pause(GATHER_MS, this.abort.signal);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }
}
