import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Delivery, EndpointState, NewDelivery, WebhookStore } from "../../../features/webhooks/ports.js";
import type { OutboxMessage } from "../../../platform/worker-ports.js";
import type { Db } from "../connection/database.js";
import { outbox, webhookDeliveries, webhookEndpointStates } from "../schema.js";
import { isUuid } from "./session-repository.js";
import { messageColumns, toOutboxMessage } from "../messaging/outbox-relay-store.js";

/** "vcs-hook" in ASCII: held (for one transaction) by the one replica fanning out at a time. */
const FAN_OUT_LOCK_KEY = 0x7663_732d_686f_6f6bn.toString();

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type StateRow = typeof webhookEndpointStates.$inferSelect;

/** Webhook deliveries and endpoint states on one transaction (a tenant's, or the system path's claims). */
export class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly db: Db) {}

  async eventsToFanOut(limit: number): Promise<OutboxMessage[] | null> {
    const locked = (await this.db.execute(sql`select pg_try_advisory_xact_lock(${FAN_OUT_LOCK_KEY}::bigint) as locked`)) as unknown as { rows: Array<{ locked: boolean }> };
    if (!locked.rows[0]?.locked) return null;
    const rows = await this.db.select(messageColumns).from(outbox).where(eq(outbox.webhookPending, true)).orderBy(asc(outbox.seq)).limit(limit);
    return rows.map(toOutboxMessage);
  }

  async addDeliveries(deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db
      .insert(webhookDeliveries)
      .values(deliveries.map((d) => ({ ...d, status: "pending", attempts: 0, nextAttemptAt: d.createdAt })))
      .onConflictDoNothing();
  }

  async markFannedOut(eventIds: string[]): Promise<void> {
    if (eventIds.length > 0) await this.db.update(outbox).set({ webhookPending: false }).where(inArray(outbox.id, eventIds));
  }

  async claimDue(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]> {
    // Due, not held by a live lease, first of its chain (nothing earlier of that endpoint and
    // aggregate pending: the relay's per-aggregate order), and its endpoint not disabled.
    const result = (await this.db.execute(sql`
      update webhook_deliveries d set lease_until = ${leaseUntil.toISOString()}::timestamptz
      where d.id in (
        select c.id from webhook_deliveries c
        where c.status = 'pending' and c.next_attempt_at <= ${now.toISOString()}::timestamptz
          and (c.lease_until is null or c.lease_until <= ${now.toISOString()}::timestamptz)
          and not exists (
            select 1 from webhook_deliveries e
            where e.tenant_id = c.tenant_id and e.endpoint = c.endpoint and e.aggregate_key = c.aggregate_key
              and e.status = 'pending' and e.seq < c.seq)
          and not exists (
            select 1 from webhook_endpoint_states s
            where s.tenant_id = c.tenant_id and s.endpoint = c.endpoint and s.disabled_at is not null)
        order by c.next_attempt_at, c.seq
        limit ${limit}
        for update skip locked)
      returning d.*`)) as unknown as { rows: Array<Record<string, unknown>> };
    return result.rows.map(fromSqlRow);
  }

  async find(tenantId: string, id: string, options: { lock?: boolean } = {}): Promise<Delivery | null> {
    if (!isUuid(id)) return null;
    const query = this.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id)));
    const [row] = options.lock ? await query.for("update") : await query;
    return row ? toDelivery(row) : null;
  }

  async save(d: Delivery): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt,
        leaseUntil: d.leaseUntil,
        firstAttemptAt: d.firstAttemptAt,
        lastAttemptAt: d.lastAttemptAt,
        lastStatus: d.lastStatus,
        lastError: d.lastError?.slice(0, 200) ?? null,
        deliveredAt: d.deliveredAt,
      })
      .where(and(eq(webhookDeliveries.tenantId, d.tenantId), eq(webhookDeliveries.id, d.id)));
  }

  async state(tenantId: string, endpoint: string): Promise<EndpointState> {
    await this.db.insert(webhookEndpointStates).values({ tenantId, endpoint }).onConflictDoNothing();
    const [row] = await this.db
      .select()
      .from(webhookEndpointStates)
      .where(and(eq(webhookEndpointStates.tenantId, tenantId), eq(webhookEndpointStates.endpoint, endpoint)))
      .for("update");
    return toState(row!);
  }

  async saveState(s: EndpointState): Promise<void> {
    const { tenantId, endpoint, ...fields } = s;
    await this.db
      .update(webhookEndpointStates)
      .set(fields)
      .where(and(eq(webhookEndpointStates.tenantId, tenantId), eq(webhookEndpointStates.endpoint, endpoint)));
  }

  async resume(tenantId: string, endpoint: string, now: Date): Promise<number> {
    const rows = await this.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: now, leaseUntil: null })
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpoint, endpoint), eq(webhookDeliveries.status, "pending")))
      .returning({ id: webhookDeliveries.id });
    return rows.length;
  }
}

export function toDelivery(row: DeliveryRow): Delivery {
  return { ...row, status: row.status as Delivery["status"] };
}

export function toState(row: StateRow): EndpointState {
  return { ...row, disabledReason: row.disabledReason as EndpointState["disabledReason"] };
}

/** A row of raw SQL (snake_case, times as the driver gives them) as a delivery. */
function fromSqlRow(r: Record<string, unknown>): Delivery {
  const time = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    endpoint: String(r.endpoint),
    eventId: String(r.event_id),
    eventType: String(r.event_type),
    aggregateKey: String(r.aggregate_key),
    seq: Number(r.seq),
    body: String(r.body),
    traceparent: (r.traceparent as string | null) ?? null,
    status: r.status as Delivery["status"],
    attempts: Number(r.attempts),
    nextAttemptAt: time(r.next_attempt_at)!,
    leaseUntil: time(r.lease_until),
    firstAttemptAt: time(r.first_attempt_at),
    lastAttemptAt: time(r.last_attempt_at),
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: time(r.created_at)!,
    deliveredAt: time(r.delivered_at),
  };
}
