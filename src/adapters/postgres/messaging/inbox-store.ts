import { and, eq } from "drizzle-orm";
import { InboxDuplicateError, type InboxEntry, type InboxPort } from "../../../features/scheduling/ports.js";
import type { Clock } from "../../../platform/ports.js";
import type { Db } from "../connection/database.js";
import { inbox } from "../schema.js";
import { inTenant } from "../connection/tenant-scope.js";
import { runNoted, type TransactionContext } from "../repositories/unit-of-work.js";
import type { CommitListener } from "../signals/commit-notes.js";
import type { UnitOfWork } from "../../../platform/ports.js";

/**
 * The consumer half of exactly-once: the inbox row is inserted first in the same transaction as
 * the event's effect. A concurrent delivery of the same event blocks on the primary key until the
 * first commits, then inserts nothing and rolls its own effect back.
 */
export class PostgresInbox implements InboxPort<UnitOfWork<TransactionContext>> {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly listener?: CommitListener,
  ) {}

  async seen(source: string, eventId: string): Promise<boolean> {
    const rows = await this.db
      .select({ eventId: inbox.eventId })
      .from(inbox)
      .where(and(eq(inbox.source, source), eq(inbox.eventId, eventId)));
    return rows.length > 0;
  }

  unitOfWork(entry: InboxEntry): UnitOfWork<TransactionContext> {
    return {
      // The event's tenant (the scheduling service is an authenticated producer on the bus); the
      // inbox table itself holds no tenant data and has no row-level security.
      run: (tenantId, work) =>
        runNoted((fn) => inTenant(this.db, tenantId, fn), this.clock, this.listener, async (context, tx) => {
          const inserted = await tx
            .insert(inbox)
            .values({ ...entry, receivedAt: this.clock.now() })
            .onConflictDoNothing()
            .returning({ eventId: inbox.eventId });
          if (inserted.length === 0) throw new InboxDuplicateError();
          return work(context);
        }),
    };
  }
}
