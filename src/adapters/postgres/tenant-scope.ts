import { is, sql } from "drizzle-orm";
import { NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Db } from "./database.js";

/**
 * Row-level security (migration 0007_rls): a transaction sees and writes only the rows of the
 * tenant it set here, for itself only (`set_config(…, true)` ends with the transaction, so a
 * pooled connection never carries a tenant into the next request).
 */
export const TENANT_SETTING = "app.tenant_id";

/**
 * Runs `work` in one transaction scoped to `tenantId`. On node-postgres the setting travels with
 * BEGIN in one round trip: drizzle writes the transaction config after `begin` verbatim, and
 * without parameters node-postgres sends it as a simple query, whose statements PostgreSQL runs
 * in order (BEGIN, then set_config inside the transaction it opened). The tenant is a quoted
 * literal (pg's escapeLiteral), never spliced in raw. PGlite takes the setting as a statement of
 * its own (in process, a round trip costs nothing; and it runs as a superuser, so RLS does not
 * hold there anyway).
 */
export function inTenant<T>(db: Db, tenantId: string, work: (tx: Db) => Promise<T>, access: "read write" | "read only" = "read write"): Promise<T> {
  if (is(db, NodePgDatabase)) {
    const setTenant = `${access}; select set_config('${TENANT_SETTING}', ${pg.escapeLiteral(tenantId)}, true)`;
    return db.transaction((tx) => work(tx as unknown as Db), { accessMode: setTenant as "read write" });
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`);
    return work(tx as unknown as Db);
  });
}

/**
 * A statement prepared once on the pool, run on a transaction's connection: drizzle binds a
 * prepared statement to the session it was built on, and rebuilding it per transaction costs the
 * SQL text build the prepared reads exist to avoid (BENCHMARKS.md). Both drizzle drivers keep
 * that session's client in `client`; only it differs.
 */
export function onTransaction<P extends object>(prepared: P, tx: Db): P {
  const client = (tx as unknown as { session: { client: unknown } }).session.client;
  return Object.create(prepared, { client: { value: client } }) as P;
}
