import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import type { Delivery, DeliveryStatus, EndpointState, WebhookQueries } from "../../../features/webhooks/ports.js";
import type { Db } from "../connection/database.js";
import { inTenant } from "../connection/tenant-scope.js";
import { toDelivery, toState } from "../repositories/webhook-store.js";
import { webhookDeliveries, webhookEndpointStates } from "../schema.js";

/** The delivery log and endpoint health, each read in a read-only transaction of the tenant. */
export class PostgresWebhookQueries implements WebhookQueries {
  constructor(private readonly db: Db) {}

  deliveries(tenantId: string, filter: { endpoint?: string; status?: DeliveryStatus; limit: number; after?: { createdAt: Date; id: string } }): Promise<Delivery[]> {
    const d = webhookDeliveries;
    const where: SQL[] = [eq(d.tenantId, tenantId)];
    if (filter.endpoint) where.push(eq(d.endpoint, filter.endpoint));
    if (filter.status) where.push(eq(d.status, filter.status));
    if (filter.after) where.push(or(lt(d.createdAt, filter.after.createdAt), and(eq(d.createdAt, filter.after.createdAt), lt(d.id, filter.after.id)))!);
    return inTenant(
      this.db,
      tenantId,
      async (tx) => (await tx.select().from(d).where(and(...where)).orderBy(desc(d.createdAt), desc(d.id)).limit(filter.limit)).map(toDelivery),
      "read only",
    );
  }

  states(tenantId: string): Promise<EndpointState[]> {
    return inTenant(this.db, tenantId, async (tx) => (await tx.select().from(webhookEndpointStates).where(eq(webhookEndpointStates.tenantId, tenantId))).map(toState), "read only");
  }

  counts(tenantId: string): Promise<Array<{ endpoint: string; status: DeliveryStatus; count: number }>> {
    const d = webhookDeliveries;
    return inTenant(
      this.db,
      tenantId,
      async (tx) =>
        (
          await tx
            .select({ endpoint: d.endpoint, status: d.status, count: sql<number>`count(*)::int` })
            .from(d)
            .where(eq(d.tenantId, tenantId))
            .groupBy(d.endpoint, d.status)
        ).map((r) => ({ endpoint: r.endpoint, status: r.status as DeliveryStatus, count: Number(r.count) })),
      "read only",
    );
  }
}
