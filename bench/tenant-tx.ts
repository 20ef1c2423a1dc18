import { randomUUID } from "node:crypto";
import type pg from "pg";
import * as sql from "./statements.js";

/** `work` in one transaction scoped to `tenant`, opened as the service opens it (statements.ts). */
export async function inTenant<T>(pool: pg.Pool, tenant: string, access: "read only" | "read write", work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(sql.beginInTenant(access, client.escapeLiteral(tenant)));
    const result = await work(client);
    await client.query("commit");
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
  const now = new Date();
  const data = { actor, tenantId: tenant, action, targets, outcome: "success", time: now.toISOString() };
  const values = [[randomUUID()], [tenant], ["audit"], [targets.sessionId ?? tenant], [`audit.virtualcare.${action}`], [JSON.stringify(data)], [now.toISOString()], [null]];
  await system.query({ name: sql.PREPARED.auditBatch, text: sql.INSERT_AUDIT_ROWS }, values);
}
