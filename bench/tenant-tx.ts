import { randomUUID } from "node:crypto";
import type pg from "pg";
import * as sql from "./statements.js";

/**
 * `work` in one transaction scoped to `tenant`, sent as the service sends it on its pipeline-mode
 * pool (src/adapters/postgres/connection/pipelined-transaction.ts): BEGIN with the tenant is not
 * awaited, it leaves with the first statement; `oneStatement`: `work` sends one statement at once
 * and COMMIT leaves with it (one round trip). The pool must be created with `pipeline: true`.
 */
export async function inTenant<T>(
  pool: pg.Pool,
  tenant: string,
  access: "read only" | "read write",
  work: (client: pg.PoolClient) => Promise<T>,
  oneStatement = false,
): Promise<T> {
  const client = await pool.connect();
  const begin = client.query(sql.beginInTenant(access, client.escapeLiteral(tenant)));
  begin.catch(() => undefined);
  try {
    const working = work(client);
    const commit = oneStatement ? client.query("commit") : undefined;
    commit?.catch(() => undefined);
    const result = await working;
    await begin;
    await (commit ?? client.query("commit"));
    return result;
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The audit entry of a successful read, as platform/audit.ts shapes it, sent as the service's batch INSERT (one row). */
export async function auditRead(system: pg.Pool, tenant: string, action: string, targets: Record<string, string>, actor: object = { kind: "staff", id: "bench-user" }): Promise<void> {
  // The batch INSERT takes one array per column: here, one row's values each in an array of one.
  const values = auditRowValues(tenant, action, targets, actor).map((v) => [v]);
  await system.query({ name: sql.PREPARED.auditBatch, text: sql.INSERT_AUDIT_ROWS }, values);
}

/** The audit row's values after the read's own parameters, as the service's audited read binds them. */
export function auditRowValues(tenant: string, action: string, targets: Record<string, string>, actor: object = { kind: "staff", id: "bench-user" }): unknown[] {
  const now = new Date();
  const data = { actor, tenantId: tenant, action, targets, outcome: "success", time: now.toISOString() };
  return [randomUUID(), tenant, "audit", targets.sessionId ?? tenant, `audit.virtualcare.${action}`, JSON.stringify(data), now.toISOString(), null];
}
