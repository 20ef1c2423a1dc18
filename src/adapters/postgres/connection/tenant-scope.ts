import { sql } from "drizzle-orm";
import pg from "pg";
import type { Db } from "./database.js";
import { isNodePostgres, transactionBeginningWith } from "./drizzle-internals.js";
import { runPipelined } from "./pipelined-transaction.js";

/**
 * Row-level security (migration 0007_rls): a transaction sees and writes only the rows of the
 * tenant it set here, for itself only (`set_config(…, true)` ends with the transaction, so a
 * pooled connection never carries a tenant into the next request).
 */
export const TENANT_SETTING = "app.tenant_id";

type Access = "read write" | "read only";

/** The tenant setting as SQL text; the tenant is a quoted literal (pg's escapeLiteral), never spliced in raw. */
const setTenant = (tenantId: string) => `select set_config('${TENANT_SETTING}', ${pg.escapeLiteral(tenantId)}, true)`;

/** BEGIN and the tenant setting as one simple-protocol string. */
const beginIn = (tenantId: string, access: Access) => `begin ${access}; ${setTenant(tenantId)}`;

/**
 * Runs `work` in one transaction scoped to `tenantId`. On the PostgreSQL pool the setting travels
 * with BEGIN, and BEGIN with the first statement (pipelined-transaction.ts); on a plain
 * node-postgres pool BEGIN and the setting are one round trip (`transactionBeginningWith`).
 * PGlite takes the setting as a statement of its own: it has one connection, in process, where a
 * round trip costs nothing and pipelining has nothing to save (and it runs as a superuser, so RLS
 * does not hold there anyway).
 */
export function inTenant<T>(db: Db, tenantId: string, work: (tx: Db) => Promise<T>, access: Access = "read write"): Promise<T> {
  const pipelined = runPipelined(db, beginIn(tenantId, access), work);
  if (pipelined) return pipelined;
  if (isNodePostgres(db)) {
    return transactionBeginningWith(db, access, setTenant(tenantId), work);
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`);
    return work(tx as unknown as Db);
  });
}

/**
 * A read of one statement in a transaction scoped to `tenantId` (read-only unless the statement
 * also writes, e.g. its audit row): on the PostgreSQL pool, BEGIN with the setting, the statement
 * and COMMIT leave in one flush and cost one round trip. `read` must send exactly one statement
 * (a second one is refused).
 */
export function readInTenant<T>(db: Db, tenantId: string, read: (tx: Db) => Promise<T>, access: Access = "read only"): Promise<T> {
  return runPipelined(db, beginIn(tenantId, access), read, true) ?? inTenant(db, tenantId, read, access);
}
