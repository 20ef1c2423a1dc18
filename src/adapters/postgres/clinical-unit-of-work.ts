import type { ClinicalTransactionContext, ClinicalUnitOfWork, Clock } from "../../platform/ports.js";
import { PostgresAiSummaryRepository } from "./ai-summary-repository.js";
import { PostgresAsyncVisitRepository } from "./async-visit-repository.js";
import type { Db } from "./database.js";
import { PostgresOfflineQueue } from "./offline-queue.js";
import { PostgresPendingEncounterStore } from "./pending-encounter-store.js";
import { transactionContext } from "./unit-of-work.js";

/** The foundation's transaction context plus the clinical stores, all on one transaction. */
export class PostgresClinicalUnitOfWork implements ClinicalUnitOfWork {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  run<T>(work: (tx: ClinicalTransactionContext) => Promise<T>): Promise<T> {
    return this.db.transaction((raw) => {
      const tx = raw as unknown as Db;
      const base = transactionContext(tx, this.clock);
      return work({
        ...base,
        pendingEncounters: new PostgresPendingEncounterStore(tx),
        aiSummaries: new PostgresAiSummaryRepository(tx, base.outbox),
        asyncVisits: new PostgresAsyncVisitRepository(tx, base.outbox),
        offlineQueue: new PostgresOfflineQueue(tx),
      });
    });
  }
}
