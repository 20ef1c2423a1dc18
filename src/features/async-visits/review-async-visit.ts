import { notFound } from "../../domain/errors.js";
import { asyncVisitView, type AsyncVisitView } from "./async-visit-view.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { actorId, assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort, ClinicalUnitOfWork, Clock } from "../../platform/ports.js";

/** The provider marks an async visit reviewed: it leaves the queue (reviewing twice answers 409). */
export class ReviewAsyncVisit {
  constructor(private readonly deps: { uow: ClinicalUnitOfWork; audit: AuditPort; clock: Clock }) {}

  execute(actor: Actor, visitId: string): Promise<AsyncVisitView> {
    const targets = { asyncVisitId: visitId };
    return audited(this.deps.audit, { actor, action: "async_visit.review", targets }, async () => {
      assertPermission(actor, "async_visit.review");
      return this.deps.uow.run(async (tx) => {
        const visit = await tx.asyncVisits.findById(actor.tenantId, visitId);
        if (!visit) throw notFound("async visit");
        const loaded = visit.version;
        const now = this.deps.clock.now();
        visit.markReviewed(actorId(actor), now);
        await tx.asyncVisits.save(visit, loaded);
        await tx.offlineQueue.remove(actor.tenantId, visitId);
        await tx.outbox.add([auditEvent({ actor, action: "async_visit.review", outcome: "success", targets }, now)]);
        return asyncVisitView(visit.snapshot());
      });
    });
  }
}
