import type { Clock } from "../platform/ports.js";
import type { WorkerLog } from "../platform/backoff.js";
import type { DatabaseClockPort } from "../platform/worker-ports.js";

export interface ClockSkewOptions {
  database: DatabaseClockPort;
  clock: Clock;
  log: WorkerLog;
  /** CLOCK_SKEW_WARN_SECONDS: past this, every sample logs an error (0: never). */
  warnSeconds: number;
}

/**
 * Measures this replica's clock against the database's (issue 20 item 13). A replica whose clock
 * is off writes wrong times into events and audit records, and checks staff JWTs and join tokens
 * against the wrong time (a replica 90 minutes ahead refuses fresh tokens; one behind accepts
 * expired ones). The skew is a metric and, past a threshold, a loud log line on every sample; it
 * does not fail readiness (docs/decisions.md, "Clock skew").
 */
export class ClockSkewMonitor {
  private last: { skewSeconds: number; uncertaintySeconds: number } | null = null;

  constructor(private readonly o: ClockSkewOptions) {}

  /** Positive: this replica's clock is ahead of the database's. */
  async sample(): Promise<number> {
    const before = this.o.clock.now().getTime();
    const reference = (await this.o.database.now()).getTime();
    const after = this.o.clock.now().getTime();
    // The database read its clock somewhere within the round trip: compare with its middle.
    const skewSeconds = ((before + after) / 2 - reference) / 1000;
    const uncertaintySeconds = (after - before) / 2000;
    this.last = { skewSeconds, uncertaintySeconds };
    if (this.o.warnSeconds > 0 && Math.abs(skewSeconds) - uncertaintySeconds > this.o.warnSeconds) {
      this.o.log.error(
        { skewSeconds: Math.round(skewSeconds * 1000) / 1000, thresholdSeconds: this.o.warnSeconds },
        `this replica's clock is ${skewSeconds > 0 ? "ahead of" : "behind"} the database's by more than CLOCK_SKEW_WARN_SECONDS: token expiry and event times are wrong here; fix its time synchronisation`,
      );
    }
    return skewSeconds;
  }

  /** The last measured skew in seconds (null before the first sample). */
  get skewSeconds(): number | null {
    return this.last?.skewSeconds ?? null;
  }
}
