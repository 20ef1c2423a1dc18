import { sql } from "drizzle-orm";
import type { Db } from "../connection/database.js";

/**
 * Published outbox rows have done their job (JetStream holds the events, AUDIT the audit trail):
 * they are deleted once older than the retention, in small batches so no statement holds many
 * row locks or a long transaction. Unpublished rows, and rows the webhook fan-out has not yet
 * turned into deliveries, are never touched. Safe on every replica:
 * two purgers deleting the same rows just find fewer.
 */
export class OutboxPurge {
  constructor(
    private readonly db: Db,
    private readonly retentionMs: number,
    private readonly batch = 1000,
  ) {}

  async purge(now: Date): Promise<{ deleted: number }> {
    const cutoff = new Date(now.getTime() - this.retentionMs);
    let deleted = 0;
    for (;;) {
      const result = await this.db.execute(sql`
        delete from virtual_care_outbox where id in (
          select id from virtual_care_outbox where published_at is not null and published_at < ${cutoff.toISOString()}::timestamptz and not webhook_pending limit ${this.batch}
        )`);
      const count = (result as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? (result as { affectedRows?: number }).affectedRows ?? 0;
      deleted += count;
      if (count < this.batch) return { deleted };
    }
  }
}
