import { notFound } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { Actor, AuditPort, UnitOfWork } from "../../platform/ports.js";
import type { AiSummaryTx } from "./ports.js";

/** The draft of a visit and its status; reading clinical content is audited. */
export class GetAiSummary {
  constructor(private readonly deps: { uow: UnitOfWork<AiSummaryTx>; audit: AuditPort }) {}

  execute(actor: Actor, sessionId: string): Promise<AiSummaryView> {
    return audited(
      this.deps.audit,
      { actor, action: "ai_summary.read", targets: { sessionId } },
      async () => {
        assertPermission(actor, "ai_summary.read");
        const summary = await this.deps.uow.run(actor.tenantId, (tx) => tx.aiSummaries.findBySession(actor.tenantId, sessionId));
        if (!summary) throw notFound("AI summary");
        return aiSummaryView(summary.snapshot());
      },
      { auditSuccess: true },
    );
  }
}
