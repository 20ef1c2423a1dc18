import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { schema } from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** The node-postgres pool (PostgreSQL only): LISTEN/NOTIFY and the relay's leader lock need it. */
  pool: pg.Pool | null;
  ping(): Promise<void>;
  /** LISTEN on a channel (its own connection on PostgreSQL); resolves to the unlisten. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  migrate: boolean;
  poolSize?: number;
}

const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

/** Any 64-bit constant works; this one is "vcs-migrate" in ASCII, so it shows what holds it in pg_locks. */
const MIGRATION_LOCK_KEY = 0x7663_732d_6d69_67n;

/** PostgreSQL when a URL is given, otherwise embedded PGlite persisted in `dataDir`. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => undefined);
  if (options.migrate) {
    const client = await pool.connect();
    try {
      // Replicas starting together: one migrates, the others wait and then find nothing to do.
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
      await migratePg(drizzlePg(client), { migrationsFolder });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
      client.release();
    }
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    pool,
    ping: async () => {
      await pool.query("select 1");
    },
    listen: (channel, onPayload) => listenPostgres(url, channel, onPayload),
    close: () => pool.end(),
  };
}

/**
 * LISTEN needs a connection of its own for as long as it listens (a pooled one goes back to the
 * pool). A lost connection is replaced after a second; what was notified meanwhile is lost, which
 * is why watchers also re-read on a timer.
 */
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let closed = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on("notification", (n) => n.channel === channel && onPayload(n.payload ?? ""));
    c.on("error", () => undefined);
    c.on("end", () => {
      if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = c;
  };
  await connect();
  return async () => {
    closed = true;
    await client?.end().catch(() => undefined);
  };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite(`${options.dataDir}/pglite`);
  const db = drizzlePglite(client, { schema });
  // One process owns a PGlite folder, so there is nobody to race with.
  if (options.migrate) await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
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
export function pgErrorCode(err: unknown): { code?: string; constraint?: string } {
  let e: unknown = err;
  for (let depth = 0; e && depth < 3; depth++) {
    const candidate = e as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof candidate.code === "string" && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return { code: candidate.code, constraint: typeof candidate.constraint === "string" ? candidate.constraint : undefined };
    }
    e = candidate.cause;
  }
  return {};
}
