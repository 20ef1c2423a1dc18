import { randomBytes } from "node:crypto";
import pg from "pg";

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * The role the service connects as in the suites (as in production, docs/operations.md): it owns
 * nothing, is no superuser and has no BYPASSRLS, so row-level security holds for it. Cluster-wide,
 * shared by every suite; its grants are per database (the migrations give them).
 */
export const SERVICE_ROLE = "vcs_service_test";

export interface TestDatabase {
  /** The owner's (a superuser's) URL: migrations, and suites that inspect or rig the database. */
  url: string;
  /** The same database as SERVICE_ROLE: what the service connects with (DATABASE_URL). */
  serviceUrl: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Suites run in parallel: the advisory lock serialises the creators, and a role created by
 * another run between the check and the create (without the lock) is not an error either.
 */
async function ensureServiceRole(admin: pg.Client): Promise<void> {
  await admin.query(`
    do $$
    begin
      perform pg_advisory_xact_lock(hashtext('${SERVICE_ROLE}'));
      if not exists (select 1 from pg_roles where rolname = '${SERVICE_ROLE}') then
        create role ${SERVICE_ROLE} login nosuperuser nobypassrls nocreatedb nocreaterole;
      end if;
    exception when duplicate_object or unique_violation then null;
    end
    $$`);
}

/** A fresh, empty database for one suite; dropped afterwards (nothing depends on leftovers). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vcs_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await ensureServiceRole(admin);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const serviceUrl = new URL(url);
  serviceUrl.username = SERVICE_ROLE;
  serviceUrl.password = "";
  return {
    url: url.toString(),
    serviceUrl: serviceUrl.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A pool for a suite's own queries. pg-pool's end() resolves once its clients are told to close,
 * not once their sockets have: the forced drop that follows can reach a client still closing,
 * whose error then reaches the pool; a pool with no 'error' listener turns it into an uncaught
 * exception (seen as a flaky "unhandled error" in whichever suite ended last).
 */
export function suitePool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on("error", () => undefined);
  return pool;
}

/**
 * A suite pool whose every query text is appended to `sent`: a round trip is one client.query, so
 * a test can count and read what a path sends to PostgreSQL.
 */
export function recordingPool(connectionString: string, max: number, sent: string[]): pg.Pool {
  const pool = suitePool(connectionString, max);
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === "string" ? first : first.text);
      return query(...args);
    }) as typeof client.query;
  });
  return pool;
}
