import { sql } from "drizzle-orm";
import type { Db } from "../connection/database.js";

/**
 * Housekeeping of the webhook tables, on the system path: deliveries and states of endpoints no
 * longer in their tenant's config are cancelled and dropped (a removed endpoint gets nothing more,
 * also what waited while it was disabled), and finished deliveries (delivered, failed, cancelled)
 * leave the log once older than the retention. Pending deliveries of configured endpoints are never
 * touched: that is the "never lost" half. Safe on every replica.
 */
export class WebhookLogPurge {
  constructor(
    private readonly db: Db,
    private readonly retentionMs: number,
    private readonly batch = 1000,
  ) {}

  async purge(now: Date): Promise<{ cancelled: number; deleted: number }> {
    const configured = sql`exists (
      select 1 from tenant_configs c, jsonb_array_elements(coalesce(c.config->'webhooks', '[]'::jsonb)) w
      where c.tenant_id = x.tenant_id and w->>'name' = x.endpoint)`;
    const cancelled = rowCount(
      await this.db.execute(sql`update webhook_deliveries x set status = 'cancelled', lease_until = null where x.status = 'pending' and not ${configured}`),
    );
    await this.db.execute(sql`delete from webhook_endpoint_states x where not ${configured}`);
    const cutoff = new Date(now.getTime() - this.retentionMs).toISOString();
    let deleted = 0;
    for (;;) {
      const count = rowCount(
        await this.db.execute(sql`
          delete from webhook_deliveries where id in (
            select id from webhook_deliveries
            where status <> 'pending' and coalesce(delivered_at, last_attempt_at, created_at) < ${cutoff}::timestamptz
            limit ${this.batch})`),
      );
      deleted += count;
      if (count < this.batch) return { cancelled, deleted };
    }
  }
}

function rowCount(result: unknown): number {
  const r = result as { rowCount?: number; affectedRows?: number };
  return r.rowCount ?? r.affectedRows ?? 0;
}
