import type pg from "pg";
import { DATABASE_KNOWN_DOWN, describeFailure, isDatabaseUnavailable } from "../../platform/database-failure.js";
import type { WorkerLog } from "../../workers/backoff.js";

/** Connection-level failures in a row, with no success between, that mark the database down. */
const FAILURES_TO_OPEN = 3;

/**
 * While the database is known down, requests fail at once (503 DATABASE_UNAVAILABLE) instead of
 * each waiting out the connect or read timeout (5–7 s) and piling up until the 10 s request bound.
 * Closed: everything passes; FAILURES_TO_OPEN connection failures in a row open it. Open: every
 * pool checkout is refused for `coolOffMs`; then one checkout is let through as a trial (the
 * others are still refused) and its outcome closes or reopens it. A statement timeout (57014) is
 * a slow query, not a database down, and never counts.
 */
export class DatabaseCircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private state: "closed" | "open" = "closed";
  /** The failure that opened it, kept as the refusals' cause: logs name what is really wrong. */
  private cause: unknown = null;

  constructor(
    private readonly coolOffMs: number,
    private readonly log: WorkerLog,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Null when a checkout may go ahead; the error to fail with otherwise. */
  refusal(): Error | null {
    if (this.state === "closed") return null;
    if (this.now() < this.openUntil || this.trialInFlight) return new Error(DATABASE_KNOWN_DOWN, { cause: this.cause });
    this.trialInFlight = true;
    return null;
  }

  succeeded(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.state === "open") this.log.info({}, "the database answers again; requests are let through");
    this.state = "closed";
  }

  failed(err: unknown): void {
    if (!countsAsDown(err)) return;
    this.trialInFlight = false;
    this.failures++;
    this.cause = err;
    if (this.state === "open" || this.failures >= FAILURES_TO_OPEN) {
      if (this.state === "closed") this.log.warn({ error: describeFailure(err), coolOffMs: this.coolOffMs }, "the database is down; requests fail fast until a trial connection succeeds");
      this.state = "open";
      this.openUntil = this.now() + this.coolOffMs;
    }
  }
}

function countsAsDown(err: unknown): boolean {
  if (!isDatabaseUnavailable(err)) return false;
  const code = (err as { code?: unknown } | null)?.code;
  return code !== "57014" && code !== "25P03" && (err as Error | null)?.message !== DATABASE_KNOWN_DOWN;
}

type Callback = (err: Error | undefined, ...rest: unknown[]) => void;

/**
 * Puts the breaker in front of the pool's checkouts (promise and callback forms: pool.query uses
 * the latter) and lets every query's outcome on its clients close or open it.
 */
export function guardPool(pool: pg.Pool, breaker: DatabaseCircuitBreaker): void {
  const connect = pool.connect.bind(pool) as (cb?: Callback) => Promise<pg.PoolClient> | undefined;
  pool.connect = ((cb?: Callback) => {
    const refusal = breaker.refusal();
    if (refusal) {
      if (!cb) return Promise.reject(refusal);
      process.nextTick(() => cb(refusal));
      return undefined;
    }
    if (cb) {
      return connect((err, ...rest) => {
        if (err) breaker.failed(err);
        cb(err, ...rest);
      });
    }
    return connect()!.catch((err: unknown) => {
      breaker.failed(err);
      throw err;
    });
  }) as typeof pool.connect;

  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const settle = (err: unknown) => (err ? breaker.failed(err) : breaker.succeeded());
    client.query = ((...args: unknown[]) => {
      const last = args[args.length - 1];
      if (typeof last === "function") {
        args[args.length - 1] = (err: Error | null, result?: unknown) => {
          settle(err);
          (last as (e: Error | null, r?: unknown) => void)(err, result);
        };
      }
      const result = query(...args);
      if (result instanceof Promise) result.then(() => settle(null), settle);
      return result;
    }) as typeof client.query;
  });
}
