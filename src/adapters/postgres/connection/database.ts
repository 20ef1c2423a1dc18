import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { describeFailure } from "../../../platform/database-failure.js";
import { backoffMs, type WorkerLog } from "../../../platform/backoff.js";
import { createPgliteFolder } from "./pglite-folder.js";
import { DatabaseCircuitBreaker, guardPool } from "./circuit-breaker.js";
import { clientConfig, databaseTarget, DEFAULT_TUNING, endClient, GuardedClient, resilientPool, type ConnectionTuning } from "./connection.js";
import { schema } from "../schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  /** Tenant work: every statement on it runs inside `inTenant` (tenant-scope.ts) or sees no rows. */
  db: Db;
  /**
   * System paths only (the outbox relay and purge, the audit writer, the workers' cross-tenant
   * claims): its connections see every tenant's rows (connection.ts, SYSTEM_SCOPE_OPTIONS). PGlite:
   * the same as `db`.
   */
  system: Db;
  kind: "postgres" | "pglite";
  /** The node-postgres pool (PostgreSQL only): LISTEN/NOTIFY and the relay's leader lock need it. */
  pool: pg.Pool | null;
  ping(): Promise<void>;
  /**
   * LISTEN on a channel (its own connection on PostgreSQL); resolves to the unlisten.
   * `onReconnect` runs when a lost connection listens again (notifications in between are lost).
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions extends Partial<ConnectionTuning> {
  databaseUrl?: string;
  /**
   * The schema owner's URL, for migrations (MIGRATION_DATABASE_URL); `databaseUrl` when absent.
   * When it names another role, that role grants the service's role what it needs after migrating.
   */
  migrationUrl?: string;
  dataDir: string;
  migrate: boolean;
  poolSize?: number;
  /** How long to keep trying to reach PostgreSQL at start before giving up (default 2 min). */
  startupTimeoutMs?: number;
  /** Where start-up waits and lost connections are reported (nowhere by default). */
  log?: WorkerLog;
}

const silent: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

const migrationsFolder = fileURLToPath(new URL("../../../../migrations", import.meta.url));

/** Any 64-bit constant works; this one is "vcs-migrate" in ASCII, so it shows what holds it in pg_locks. */
/** How long the pool refuses at once after the database was found down, before a trial checkout. */
const CIRCUIT_COOL_OFF_MS = 1000;
const MIGRATION_LOCK_KEY = 0x7663_732d_6d69_67n;

/** PostgreSQL when a URL is given, otherwise embedded PGlite persisted in `dataDir`. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const log = options.log ?? silent;
  const tuning: ConnectionTuning = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TUNING.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_TUNING.statementTimeoutMs,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? DEFAULT_TUNING.idleInTransactionTimeoutMs,
  };
  const poolSize = options.poolSize ?? 10;
  const pool = resilientPool(url, tuning, poolSize, log);
  // Half as many: its statements are single inserts and short claims, tenant reads hold theirs longer.
  const systemPool = resilientPool(url, tuning, Math.max(2, Math.ceil(poolSize / 2)), log, "system");
  const endPools = () => Promise.all([pool.end(), systemPool.end()]).then(() => undefined);
  try {
    await waitForDatabase(pool, databaseTarget(url), options.startupTimeoutMs ?? 120_000, log);
    if (options.migrate) await migrate(options.migrationUrl ?? url, tuning, log, await serviceRole(pool));
    await warnWhenRlsCannotHold(pool, log);
  } catch (err) {
    await endPools().catch(() => undefined);
    throw err;
  }
  // Only once started: start-up waits for the database with its own log lines and bound.
  // One breaker for both pools: they reach the same server, and a request's failure audit (on the
  // system pool) must not wait out the connect timeout the API pool already knows will expire.
  const breaker = new DatabaseCircuitBreaker(CIRCUIT_COOL_OFF_MS, log);
  guardPool(pool, breaker);
  guardPool(systemPool, breaker);
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    system: drizzlePg(systemPool, { schema }) as unknown as Db,
    kind: "postgres",
    pool,
    ping: () => ping(pool, breaker, url, tuning),
    listen: (channel, onPayload, onReconnect) => listenPostgres(url, channel, onPayload, onReconnect),
    // Bounded: a pool whose server vanished would otherwise wait on every client's goodbye.
    close: () => Promise.race([endPools(), new Promise<void>((r) => setTimeout(r, tuning.connectTimeoutMs).unref())]),
  };
}

/**
 * Readiness: does the database answer? Asked through the pool (so a known-down database is
 * refused at once and a trial may close the breaker), except when every pool client is busy:
 * then on a connection of its own, since waiting for a free client measures our load, not the
 * database ("busy is not down", issue 20, item 10; docs/operations.md "Readiness").
 */
async function ping(pool: pg.Pool, breaker: DatabaseCircuitBreaker, url: string, tuning: ConnectionTuning): Promise<void> {
  const saturated = pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10);
  if (!saturated || breaker.isOpen) {
    await pool.query("select 1");
    return;
  }
  const client = new GuardedClient(clientConfig(url, tuning, "vcs-readiness"));
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
  } finally {
    await endClient(client, tuning.connectTimeoutMs);
  }
}

/**
 * A service started while the database is unreachable says so, and keeps trying (with backoff,
 * each try bounded by the connect timeout) until `timeoutMs`; then it stops with the reason.
 */
async function waitForDatabase(pool: pg.Pool, target: string, timeoutMs: number, log: WorkerLog): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  log.info({ database: target }, "connecting to the database");
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query("select 1");
      if (attempt > 1) log.info({ database: target, attempt }, "the database answers");
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the database at ${target} did not answer within ${timeoutMs} ms (${describeFailure(err)})`);
      const retryInMs = Math.min(backoffMs(attempt - 1, 500, 5000), left);
      log.warn({ database: target, attempt, error: describeFailure(err), retryInMs }, "waiting for the database");
      await new Promise((r) => setTimeout(r, retryInMs));
    }
  }
}

async function serviceRole(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ role: string }>("select current_user as role");
  return rows[0]!.role;
}

/**
 * Row-level security holds only for a role that is no superuser, has no BYPASSRLS and owns no
 * table (an owner could switch it off). Said at every start, so a deployment that still connects
 * as the owner or as `postgres` sees it (docs/operations.md, "Database roles").
 */
async function warnWhenRlsCannotHold(pool: pg.Pool, log: WorkerLog): Promise<void> {
  const { rows } = await pool.query<{ role: string; superuser: boolean; bypass: boolean; owns: boolean }>(
    `select rolname as role, rolsuper as superuser, rolbypassrls as bypass,
            exists (select 1 from pg_tables where tableowner = current_user and tablename = 'virtual_sessions') as owns
       from pg_roles where rolname = current_user`,
  );
  const r = rows[0];
  if (!r || !(r.superuser || r.bypass || r.owns)) return;
  const why = r.superuser ? "is a superuser" : r.bypass ? "has BYPASSRLS" : "owns the tables (it could disable row-level security)";
  log.warn({ role: r.role }, `row-level security does not protect this service: its database role ${why}; connect as a role that owns nothing (docs/operations.md)`);
}

/**
 * Migrations run on their own connection without the statement timeouts: a migration may take
 * long, and replicas starting together wait on the advisory lock while one migrates. Run as a role
 * other than the service's, they end by granting the service's role the rows it works on (every
 * table of the schema, so a later migration's table is covered too): data, never DDL.
 */
async function migrate(url: string, tuning: ConnectionTuning, log: WorkerLog, grantTo: string): Promise<void> {
  const { statement_timeout: _s, query_timeout: _q, ...config } = clientConfig(url, tuning, "vcs-migrate");
  const client = new pg.Client(config);
  client.on("error", () => undefined); // a lost connection fails the query below, which is enough
  await client.connect();
  try {
    // Replicas starting together: one migrates, the others wait and then find nothing to do.
    log.info({}, "checking for pending migrations (waiting for the migration lock while another replica holds it)");
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await migratePg(drizzlePg(client), { migrationsFolder });
    const { rows } = await client.query<{ role: string }>("select current_user as role");
    if (rows[0]?.role !== grantTo) {
      const role = pg.escapeIdentifier(grantTo);
      log.info({ role: grantTo }, "granting the service's role access to the tables");
      await client.query(`grant usage on schema public to ${role}`);
      await client.query(`grant select, insert, update, delete on all tables in schema public to ${role}`);
      await client.query(`grant usage, select on all sequences in schema public to ${role}`);
      // PUBLIC may run functions by default; a database that revoked that still lets the service run its guards.
      await client.query(`grant execute on all functions in schema public to ${role}`);
    }
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    await endClient(client, tuning.connectTimeoutMs);
  }
}

/**
 * LISTEN needs a connection of its own for as long as it listens (a pooled one goes back to the
 * pool). A lost connection is replaced, retrying every second until it is back; what was notified
 * meanwhile is lost, so `onReconnect` runs once it listens again (watchers re-read then).
 */
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let closed = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on("notification", (n) => n.channel === channel && onPayload(n.payload ?? ""));
    c.on("error", () => undefined);
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      // Unlistened while this connection was being made (a reconnect): nothing may keep it open.
      await c.end().catch(() => undefined);
      return;
    }
    c.on("end", () => {
      if (!closed) void reconnect();
    });
    client = c;
  };
  const reconnect = async (): Promise<void> => {
    while (!closed) {
      await new Promise((r) => setTimeout(r, 1000).unref());
      if (closed) return;
      try {
        await connect();
        if (!closed) onReconnect?.();
        return;
      } catch {
        // still down: try again in a second
      }
    }
  };
  await connect();
  return async () => {
    closed = true;
    await client?.end().catch(() => undefined);
  };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  mkdirSync(options.dataDir, { recursive: true });
  const folder = `${options.dataDir}/pglite`;
  if (!existsSync(folder)) await createPgliteFolder(folder);
  // A dev database fits in 16 MB of buffers; PostgreSQL's default 128 MB would be WASM heap for life.
  const client = new PGlite(folder, { startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"] });
  const db = drizzlePglite(client, { schema });
  // One process owns a PGlite folder, so there is nobody to race with.
  if (options.migrate) await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    // One superuser connection: RLS does not hold in the embedded quick start (docs/security.md).
    system: db as unknown as Db,
    kind: "pglite",
    pool: null,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: () => client.close(),
  };
}

/** PostgreSQL error code of a failed query, looking through drizzle's wrapper. */
export function pgErrorCode(err: unknown): { code?: string; constraint?: string; detail?: string } {
  let e: unknown = err;
  for (let depth = 0; e && depth < 3; depth++) {
    const candidate = e as { code?: unknown; constraint?: unknown; detail?: unknown; cause?: unknown };
    if (typeof candidate.code === "string" && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      const text = (v: unknown) => (typeof v === "string" ? v : undefined);
      return { code: candidate.code, constraint: text(candidate.constraint), detail: text(candidate.detail) };
    }
    e = candidate.cause;
  }
  return {};
}
