import type pg from "pg";
import { DATABASE_KNOWN_DOWN, describeFailure, isDatabaseUnavailable } from "../../../platform/database-failure.js";
import type { WorkerLog } from "../../../platform/backoff.js";

/** Connection-level failures in a row, with no success between, that mark the database down. */
const FAILURES_TO_OPEN = 3;

/**
 * While the database is known down, requests fail at once (503 DATABASE_UNAVAILABLE) instead of
 * each waiting out the connect or read timeout (5–7 s) and piling up until the 10 s request bound.
 * Closed: everything passes; FAILURES_TO_OPEN connection failures in a row open it. Open: every
 * pool checkout is refused for `coolOffMs`; then one checkout is let through as a trial (the
 * others are still refused) and its outcome closes or reopens it. Only what says "down" counts:
 * failing to open a connection, or an open one gone silent; a busy pool, a slow query or a reset
 * connection while new ones succeed do not (see the predicates below).
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

  /** A checkout (which may open a connection) failed. */
  failed(err: unknown): void {
    if (connectFailureCountsAsDown(err)) this.countFailure(err);
    // A trial that ended so (a busy pool) is no verdict: the next checkout may try again.
    else this.trialInFlight = false;
  }

  /** A query on an open connection failed. */
  queryFailed(err: unknown): void {
    if (queryFailureCountsAsDown(err)) this.countFailure(err);
    else this.trialInFlight = false;
  }

  private countFailure(err: unknown): void {
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

/**
 * "Down", not "busy" (issue 20, item 10): a failure to open a connection (refused, reset, timed
 * out) counts; waiting for a free pool client does not (the pool is busy, the database may be
 * fine), nor does a statement timeout (a slow query).
 */
function connectFailureCountsAsDown(err: unknown): boolean {
  if (!isDatabaseUnavailable(err)) return false;
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as Error | null)?.message;
  return code !== "57014" && code !== "25P03" && message !== POOL_WAIT_TIMEOUT && message !== DATABASE_KNOWN_DOWN;
}

/**
 * On a connection that is already open, only silence counts: the client's read timeout fires when
 * not even the server's statement_timeout answered. A connection reset or terminated under a query
 * does not: the pool replaces it, and whether the database is down is for the new connection to
 * tell (a failover or a proxy restart resets connections while new ones succeed at once).
 */
function queryFailureCountsAsDown(err: unknown): boolean {
  return (err as Error | null)?.message === "Query read timeout";
}

/** pg-pool's error when no client became free within connectionTimeoutMillis (pool saturated). */
const POOL_WAIT_TIMEOUT = "timeout exceeded when trying to connect";

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
    // One silent connection is one failure: on a pipeline-mode connection the statements written
    // together time out together, and each reporting its read timeout would open the breaker alone.
    let silent = false;
    const settle = (err: unknown) => {
      if (!err) return breaker.succeeded();
      if (queryFailureCountsAsDown(err)) {
        if (silent) return;
        silent = true;
      }
      breaker.queryFailed(err);
    };
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
