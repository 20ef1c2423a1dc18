import pg from "pg";
import { describeFailure } from "../../../platform/database-failure.js";
import type { WorkerLog } from "../../../platform/backoff.js";

/** Bounds on every wait for PostgreSQL (config: DB_*; see docs/operations.md). */
export interface ConnectionTuning {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** The configuration defaults, for callers that open a database without a Config (tests, bench). */
export const DEFAULT_TUNING: ConnectionTuning = { connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 30_000 };

/**
 * statement_timeout ends a statement on the server, but a server that cannot be reached (a
 * dropped link: no RST, no FIN) never answers at all and TCP would wait for many minutes. The
 * client therefore gives up this long after the server would have.
 */
const CLIENT_MARGIN_MS = 2000;

/**
 * The startup option of the system connections (the outbox relay and purge, the audit writer, the
 * workers' cross-tenant claims): with it, migration 0007_rls's `system_paths` policy lets the
 * connection see every tenant's rows. Set for the whole session, and only on connections opened
 * for those paths: tenant work never runs on them (docs/security.md, "Row-level security").
 */
export const SYSTEM_SCOPE_OPTIONS = "-c app.system=on";

/** Connection settings shared by the pools and the relay's own connection. */
export function clientConfig(url: string, tuning: ConnectionTuning, applicationName: string, scope: "tenant" | "system" = "tenant"): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    ...(scope === "system" ? { options: SYSTEM_SCOPE_OPTIONS } : {}),
    connectionTimeoutMillis: tuning.connectTimeoutMs,
    // Sent as startup parameters, so they hold for every statement on the connection.
    statement_timeout: tuning.statementTimeoutMs,
    idle_in_transaction_session_timeout: tuning.idleInTransactionTimeoutMs,
    query_timeout: tuning.statementTimeoutMs + CLIENT_MARGIN_MS,
    keepAlive: true,
  };
}

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * After pg's client-side query timeout the query has been answered with an error but is still
 * the connection's active query: a later query on that client would queue behind an answer that
 * never comes. This client drops its connection instead, so the pool replaces it.
 */
export class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    const onError = (err: unknown) => {
      if (err instanceof Error && err.message === "Query read timeout") this.dropConnection();
    };
    this.query = ((...args: unknown[]) => {
      const last = args[args.length - 1];
      if (typeof last === "function") {
        args[args.length - 1] = (err: Error | null, result?: unknown) => {
          onError(err);
          (last as Callback)(err, result);
        };
      }
      const result = query(...args);
      if (result instanceof Promise) result.catch(onError);
      return result;
    }) as typeof this.query;
  }

  /** Closes the socket at once (no goodbye to a server that may never read it). */
  dropConnection(): void {
    (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }
}

/** Ends a client, but never waits more than `ms` for a server that may be unreachable. */
export async function endClient(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.end().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  if (client instanceof GuardedClient) client.dropConnection();
}

/**
 * A pool that survives connections dying under it. pg-pool listens for errors only on idle
 * clients; a client that is checked out (inside a transaction) and loses its connection emits
 * 'error' with nobody listening, which kills the process. Every client gets a listener here, and
 * a checked-out client that died is handed back at once, so its slot is not lost even when its
 * holder never releases it (drizzle does not release a client whose BEGIN failed).
 */
export function resilientPool(url: string, tuning: ConnectionTuning, max: number, log: WorkerLog, scope: "tenant" | "system" = "tenant"): pg.Pool {
  const name = scope === "system" ? "vcs-system" : "vcs-api";
  // Tenant work runs in pipeline mode (pipelined-transaction.ts): a statement is written without
  // waiting for the one before it, so BEGIN, a read and COMMIT can share one round trip. The
  // system pool's statements are single and awaited; it keeps the plain mode.
  const pipeline = scope === "tenant";
  const pool = new pg.Pool({ ...clientConfig(url, tuning, name, scope), max, Client: GuardedClient, pipeline });
  const checkedOut = new Set<pg.PoolClient>();
  pool.on("acquire", (client) => checkedOut.add(client));
  pool.on("release", (_err, client) => checkedOut.delete(client));
  pool.on("remove", (client) => checkedOut.delete(client as pg.PoolClient));
  // An idle client that died: pg-pool has removed it already, and the listener below logged it.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => {
    let reported = false;
    client.on("error", (err) => {
      const held = client as pg.PoolClient;
      if (checkedOut.delete(held)) {
        const release = held.release;
        // The holder's own release comes later (or never); it must neither throw nor count twice.
        held.release = () => undefined;
        release(err);
      }
      if (!reported) log.warn({ error: describeFailure(err) }, "a database connection was lost; it is replaced");
      reported = true;
    });
  });
  return pool;
}

/** host:port/database of a URL: what a log may say about where we connect (never the password). */
export function databaseTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the configured database";
  }
}
