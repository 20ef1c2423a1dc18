import { notFound } from "../../domain/errors.js";
import { asyncVisitView, type AsyncVisitView } from "./async-visit-view.js";
import { actorId } from "../../platform/authorization.js";
import { runAggregateCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import type { AsyncVisitTx } from "./ports.js";

/** The provider marks an async visit reviewed: it leaves the queue (reviewing twice answers 409). */
export class ReviewAsyncVisit {
  constructor(private readonly deps: CommandDeps<AsyncVisitTx>) {}

  async execute(actor: Actor, visitId: string): Promise<AsyncVisitView> {
    const { aggregate } = await runAggregateCommand(this.deps, {
      actor,
      aggregate: "async visit",
      permission: "async_visit.review",
      action: "async_visit.review",
      targets: { asyncVisitId: visitId },
      load: async (tx) => (await tx.asyncVisits.findById(actor.tenantId, visitId)) ?? Promise.reject(notFound("async visit")),
      change: (visit, now, tx) => {
        visit.markReviewed(actorId(actor), now);
        return tx.offlineQueue.remove(actor.tenantId, visitId);
      },
      save: (tx, visit, loaded) => tx.asyncVisits.save(visit, loaded),
    });
    return asyncVisitView(aggregate.snapshot());
  }
}
