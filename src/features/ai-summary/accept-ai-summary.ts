import { notFound } from "../../domain/errors.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { AiSummaryPipeline } from "./ai-summary-pipeline.js";
import type { Actor, AuditPort, ClinicalUnitOfWork, Clock } from "../../platform/ports.js";

export interface DecideAiSummaryDeps {
  uow: ClinicalUnitOfWork;
  audit: AuditPort;
  clock: Clock;
  pipeline: AiSummaryPipeline;
}

/**
 * Spec AcceptAiSummary, the human-in-the-loop gate: a clinician accepts the ready draft, as is or
 * edited. The decision and `ai_summary.accepted` commit together; the chart push follows right
 * after the commit and, if FHIR cannot take it now, the worker retries it (the decision stands).
 */
export class AcceptAiSummary {
  constructor(private readonly deps: DecideAiSummaryDeps) {}

  async execute(actor: Actor, sessionId: string, editedText?: string): Promise<AiSummaryView> {
    const targets = { sessionId };
    return audited(this.deps.audit, { actor, action: "ai_summary.accept", targets }, async () => {
      assertPermission(actor, "ai_summary.accept");
      const accepted = await this.deps.uow.run(async (tx) => {
        // The row lock makes a second, concurrent accept wait and then see `accepted` (409).
        const summary = await tx.aiSummaries.findBySession(actor.tenantId, sessionId, { lock: true });
        if (!summary) throw notFound("AI summary");
        const loaded = summary.version;
        const now = this.deps.clock.now();
        summary.accept(actor.kind === "staff" ? actor.userId : "system", editedText, now);
        await tx.aiSummaries.save(summary, loaded);
        await tx.outbox.add([auditEvent({ actor, action: "ai_summary.accept", outcome: "success", targets: { ...targets, summaryId: summary.id } }, now)]);
        return summary.snapshot();
      });
      const charted = await this.deps.pipeline.pushOne(accepted.tenantId, accepted.id);
      return aiSummaryView(charted ?? accepted);
    });
  }
}
