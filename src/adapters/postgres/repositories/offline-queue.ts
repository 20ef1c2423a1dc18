import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import type { OfflineQueuePort, QueuedAsyncVisit } from "../../../features/async-visits/ports.js";
import type { Db } from "../connection/database.js";
import { asyncVisitQueue } from "../schema.js";
import { inTenant } from "../connection/tenant-scope.js";

/**
 * OfflineQueuePort on PostgreSQL: the queue row is written in the submitting transaction, so a
 * visit is never stored without being queued (or queued without being stored).
 */
export class PostgresOfflineQueue implements OfflineQueuePort {
  constructor(private readonly db: Db) {}

  async enqueue(tenantId: string, item: QueuedAsyncVisit): Promise<void> {
    await this.db
      .insert(asyncVisitQueue)
      .values({ visitId: item.visitId, tenantId, providerId: item.providerId, enqueuedAt: item.enqueuedAt })
      .onConflictDoNothing();
  }

  async pending(
    tenantId: string,
    filter: { providerId?: string; limit: number; after?: { enqueuedAt: Date; visitId: string } },
  ): Promise<QueuedAsyncVisit[]> {
    const q = asyncVisitQueue;
    const where: SQL[] = [eq(q.tenantId, tenantId)];
    if (filter.providerId) where.push(eq(q.providerId, filter.providerId));
    if (filter.after) {
      const next = or(gt(q.enqueuedAt, filter.after.enqueuedAt), and(eq(q.enqueuedAt, filter.after.enqueuedAt), gt(q.visitId, filter.after.visitId)));
      if (next) where.push(next);
    }
    return this.db
      .select({ visitId: q.visitId, providerId: q.providerId, enqueuedAt: q.enqueuedAt })
      .from(q)
      .where(and(...where))
      .orderBy(asc(q.enqueuedAt), asc(q.visitId))
      .limit(filter.limit);
  }

  async remove(tenantId: string, visitId: string): Promise<void> {
    await this.db.delete(asyncVisitQueue).where(and(eq(asyncVisitQueue.tenantId, tenantId), eq(asyncVisitQueue.visitId, visitId)));
  }
}

/** The queue outside a submitting transaction (the pending list): each call scoped to its tenant. */
export class PooledOfflineQueue implements OfflineQueuePort {
  constructor(private readonly db: Db) {}

  enqueue(tenantId: string, item: QueuedAsyncVisit): Promise<void> {
    return inTenant(this.db, tenantId, (tx) => new PostgresOfflineQueue(tx).enqueue(tenantId, item));
  }

  pending(tenantId: string, filter: Parameters<OfflineQueuePort["pending"]>[1]): Promise<QueuedAsyncVisit[]> {
    return inTenant(this.db, tenantId, (tx) => new PostgresOfflineQueue(tx).pending(tenantId, filter), "read only");
  }

  remove(tenantId: string, visitId: string): Promise<void> {
    return inTenant(this.db, tenantId, (tx) => new PostgresOfflineQueue(tx).remove(tenantId, visitId));
  }
}
