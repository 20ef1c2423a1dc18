import { and, eq } from "drizzle-orm";
import type { IdempotencyStore, IdempotentResponse } from "../../../features/sessions/ports.js";
import type { Db } from "../connection/database.js";
import { idempotencyKeys } from "../schema.js";

export class PostgresIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Db) {}

  async find(tenantId: string, key: string): Promise<IdempotentResponse | null> {
    const [row] = await this.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
    return row
      ? { tenantId: row.tenantId, key: row.key, requestHash: row.requestHash, statusCode: row.statusCode, body: row.body }
      : null;
  }

  async save(record: IdempotentResponse): Promise<boolean> {
    // A concurrent request with the same key blocks here until the first commits, then inserts nothing.
    const rows = await this.db
      .insert(idempotencyKeys)
      .values({ ...record, createdAt: new Date() })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    return rows.length > 0;
  }
}
