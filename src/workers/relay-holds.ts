import { backoffMs } from "../platform/backoff.js";
import type { OutboxMessage, PendingFilter } from "../platform/worker-ports.js";

/** The key of one ordered chain: events of one aggregate, in commit order. */
export function chainKey(m: Pick<OutboxMessage, "aggregateType" | "aggregateId">): string {
  // aggregate_type is a fixed word ("session", "audit", …) without "/", so the key is unambiguous.
  return `${m.aggregateType}/${m.aggregateId}`;
}

interface Hold {
  /** Monotonic deadline (performance.now()): a wall clock that jumps must not shorten or stretch it. */
  until: number;
  failures: number;
  /** Of an aggregate's hold: where its events go. */
  destination?: string;
}

export interface BatchOutcome {
  published: OutboxMessage[];
  failed: OutboxMessage[];
}

export interface HoldChanges {
  /** Destinations (streams) that refused every row they were offered in this pass. */
  destinationsHeld: string[];
  destinationsReleased: string[];
  /** Aggregates held on destinations that otherwise took events in this pass. */
  aggregatesHeld: number;
}

/**
 * What the relay keeps out of its next batches, and until when (issue 20 item 9). A full AUDIT
 * stream (discard=new) refuses every audit event while VIRTUAL_CARE takes session events; a
 * single row may be refused on its own (too large). Retrying the oldest rows first would let
 * either hold every tenant's events, so:
 * - a destination that refused everything it was offered, and acknowledged nothing, is held with
 *   its own backoff: its rows are left out of the batches until the hold ends, and then it is
 *   probed with one row (NATS down is every destination held);
 * - an aggregate whose row failed is held on its own, so its later rows cannot overtake the
 *   failed one, and other aggregates keep flowing.
 * In memory only: a new leader starts with no holds and learns them in one pass.
 */
export class RelayHolds {
  private readonly destinations = new Map<string, Hold>();
  private readonly aggregates = new Map<string, Hold>();
  /** Event types seen per destination: a held destination is left out by its types. */
  private readonly typesOf = new Map<string, Set<string>>();

  constructor(
    private readonly destinationOf: (type: string) => string,
    private readonly maxBackoffMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Rows the next batch must leave out (holds that have not ended yet). */
  filter(): PendingFilter {
    const now = this.now();
    const types: string[] = [];
    for (const [destination, hold] of this.destinations) {
      if (hold.until > now) types.push(...(this.typesOf.get(destination) ?? []));
    }
    const aggregates = [...this.aggregates].filter(([, hold]) => hold.until > now).map(([key]) => key);
    return { excludeTypes: types, excludeAggregates: aggregates };
  }

  /** Destinations whose hold has ended but that have not taken an event since: to be probed. */
  probing(): string[] {
    const now = this.now();
    return [...this.destinations].filter(([, hold]) => hold.until <= now).map(([destination]) => destination);
  }

  /** Milliseconds until the earliest running hold ends (null when none runs): when to look again. */
  nextExpiryInMs(): number | null {
    const now = this.now();
    let earliest: number | null = null;
    for (const hold of [...this.destinations.values(), ...this.aggregates.values()]) {
      // An aggregate's hold ending changes nothing while its whole destination is still held.
      const coveredUntil = hold.destination ? (this.destinations.get(hold.destination)?.until ?? 0) : 0;
      if (hold.until > now && coveredUntil <= hold.until && (earliest === null || hold.until < earliest)) earliest = hold.until;
    }
    return earliest === null ? null : earliest - now;
  }

  /** Learns from one pass: holds what failed, releases what got through. */
  record(outcome: BatchOutcome): HoldChanges {
    const now = this.now();
    const changes: HoldChanges = { destinationsHeld: [], destinationsReleased: [], aggregatesHeld: 0 };
    const acked = new Set<string>();
    const refused = new Set<string>();
    for (const m of outcome.published) {
      const destination = this.learn(m);
      acked.add(destination);
      this.aggregates.delete(chainKey(m));
    }
    for (const m of outcome.failed) refused.add(this.learn(m));
    for (const destination of acked) {
      if (!this.destinations.delete(destination)) continue;
      changes.destinationsReleased.push(destination);
      // Its rows were refused for the destination's sake (full, or down): offer them again now.
      for (const [key, hold] of this.aggregates) if (hold.destination === destination) this.aggregates.delete(key);
    }
    for (const destination of refused) {
      if (acked.has(destination)) continue;
      const previous = this.destinations.get(destination);
      const failures = (previous?.failures ?? 0) + 1;
      this.destinations.set(destination, { failures, until: now + backoffMs(failures - 1, 250, this.maxBackoffMs) });
      if (!previous) changes.destinationsHeld.push(destination);
    }
    // The failed aggregates are held too when their destination is: a destination that refused
    // one poisoned row it was offered alone is probed next with another aggregate's row.
    for (const m of outcome.failed) {
      const key = chainKey(m);
      const failures = (this.aggregates.get(key)?.failures ?? 0) + 1;
      this.aggregates.set(key, { failures, until: now + backoffMs(failures - 1, 250, this.maxBackoffMs), destination: this.destinationOf(m.type) });
      // Logged only where the destination works; a held one was logged once when it was held.
      if (acked.has(this.destinationOf(m.type))) changes.aggregatesHeld++;
    }
    this.forgetEnded(now);
    return changes;
  }

  /** Drops a leader's memory (leadership lost: the next leader relearns). */
  clear(): void {
    this.destinations.clear();
    this.aggregates.clear();
  }

  private learn(m: OutboxMessage): string {
    const destination = this.destinationOf(m.type);
    let types = this.typesOf.get(destination);
    if (!types) this.typesOf.set(destination, (types = new Set()));
    types.add(m.type);
    return destination;
  }

  /**
   * An ended aggregate hold is forgotten once it had its chance (its row is back in the batch and
   * either succeeds or is held again). Ended destination holds stay, keeping their failure count
   * for the backoff, until a row gets through.
   */
  private forgetEnded(now: number): void {
    for (const [key, hold] of this.aggregates) {
      if (hold.until <= now - this.maxBackoffMs) this.aggregates.delete(key);
    }
  }
}
