import { notFound } from "../../domain/errors.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { DecideAiSummaryDeps } from "./accept-ai-summary.js";
import type { Actor } from "../../platform/ports.js";

/** The clinician discards the draft: nothing reaches the chart; a new upload starts over. */
export class RejectAiSummary {
  constructor(private readonly deps: Omit<DecideAiSummaryDeps, "pipeline">) {}

  async execute(actor: Actor, sessionId: string, reason?: string): Promise<AiSummaryView> {
    const targets = { sessionId };
    return audited(this.deps.audit, { actor, action: "ai_summary.reject", targets }, async () => {
      assertPermission(actor, "ai_summary.reject");
      return this.deps.uow.run(async (tx) => {
        const summary = await tx.aiSummaries.findBySession(actor.tenantId, sessionId, { lock: true });
        if (!summary) throw notFound("AI summary");
        const loaded = summary.version;
        const now = this.deps.clock.now();
        summary.reject(actor.kind === "staff" ? actor.userId : "system", reason, now);
        await tx.aiSummaries.save(summary, loaded);
        await tx.outbox.add([auditEvent({ actor, action: "ai_summary.reject", outcome: "success", targets: { ...targets, summaryId: summary.id } }, now)]);
        return aiSummaryView(summary.snapshot());
      });
    });
  }
}
