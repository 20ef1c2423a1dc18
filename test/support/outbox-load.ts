import { randomUUID } from "node:crypto";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { systemClock } from "../../src/composition/system-clock.js";

/**
 * Commits events through the service's own outbox writer and unit of work, from the test process,
 * so writing goes on while service processes are killed and restarted. Each session's events are
 * committed one transaction after another and numbered `n` in that (commit) order.
 */
export class OutboxLoad {
  private constructor(readonly database: Database) {}

  static async open(url: string): Promise<OutboxLoad> {
    return new OutboxLoad(await openDatabase({ databaseUrl: url, dataDir: "/tmp", migrate: false, poolSize: 8 }));
  }

  /** `perSession` events on each of `sessions` new sessions, sessions written concurrently. */
  async write(tenantId: string, sessions: number, perSession: number, eventsPerTx = 1, onCommit?: () => void): Promise<string[]> {
    const uow = new PostgresUnitOfWork(this.database.db, systemClock);
    const ids = Array.from({ length: sessions }, () => randomUUID());
    await Promise.all(
      ids.map(async (sessionId) => {
        for (let n = 0; n < perSession; n += eventsPerTx) {
          const count = Math.min(eventsPerTx, perSession - n);
          await uow.run(tenantId, (tx) =>
            tx.outbox.add(
              Array.from({ length: count }, (_, i) => ({
                type: "virtualcare.session.fallback_initiated.v1" as const,
                tenantId,
                aggregateType: "session" as const,
                aggregateId: sessionId,
                data: { sessionId, n: n + i, reason: "load test", measuredKbps: 100 },
              })),
            ),
          );
          onCommit?.();
        }
      }),
    );
    return ids;
  }

  async pending(tenantId: string): Promise<number> {
    const r = await this.database.pool!.query(
      "select count(*)::int as n from virtual_care_outbox where tenant_id = $1 and published_at is null",
      [tenantId],
    );
    return r.rows[0].n as number;
  }

  async committedIds(tenantId: string): Promise<string[]> {
    const r = await this.database.pool!.query("select id from virtual_care_outbox where tenant_id = $1", [tenantId]);
    return r.rows.map((row: { id: string }) => row.id);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
