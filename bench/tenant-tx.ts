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
