import { randomUUID } from "node:crypto";
import pg from "pg";
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

/** A read sent as the service's `TenantRead` sends it: one round trip, values as literals. */
export async function readInTenant(pool: pg.Pool, tenant: string, text: string, values: Array<string | number>): Promise<unknown[][]> {
  const bound = text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = values[Number(n) - 1]!;
    return typeof v === "number" ? String(v) : pg.escapeLiteral(v);
  });
  const results = (await pool.query({ text: sql.readInTenant(pg.escapeLiteral(tenant), bound), rowMode: "array" })) as unknown as Array<{ rows: unknown[][] }>;
  return results[results.length - 1]!.rows;
}

/** The audit entry of a successful read, as platform/audit.ts shapes it, sent as the service's batch INSERT (one row). */
export async function auditRead(system: pg.Pool, tenant: string, action: string, targets: Record<string, string>, actor: object = { kind: "staff", id: "bench-user" }): Promise<void> {
  const now = new Date();
  const data = { actor, tenantId: tenant, action, targets, outcome: "success", time: now.toISOString() };
  const values = [[randomUUID()], [tenant], ["audit"], [targets.sessionId ?? tenant], [`audit.virtualcare.${action}`], [JSON.stringify(data)], [now.toISOString()], [null]];
  await system.query({ name: sql.PREPARED.auditBatch, text: sql.INSERT_AUDIT_ROWS }, values);
}
