import { notFound } from "../../domain/errors.js";
import type { AiSummary } from "../../domain/ai-summary.js";
import { actorId } from "../../platform/authorization.js";
import { runAggregateCommand, type AggregateCommand, type CommandDeps } from "../../platform/command.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { AiSummaryPipeline } from "./ai-summary-pipeline.js";
import type { Actor } from "../../platform/ports.js";
import type { AiSummaryTx } from "./ports.js";

export interface DecideAiSummaryDeps extends CommandDeps<AiSummaryTx> {
  pipeline: AiSummaryPipeline;
}

/**
 * The clinician's decision on the session's summary. The row lock makes a second, concurrent
 * decision wait and then see it decided (409).
 */
export function summaryCommand(
  actor: Actor,
  sessionId: string,
  action: "ai_summary.accept" | "ai_summary.reject",
): Omit<AggregateCommand<AiSummaryTx, AiSummary, void>, "change"> {
  return {
    actor,
    aggregate: "AI summary",
    permission: action,
    action,
    targets: { sessionId },
    load: async (tx) => {
      const summary = await tx.aiSummaries.findBySession(actor.tenantId, sessionId, { lock: true });
      if (!summary) throw notFound("AI summary");
      return summary;
    },
    save: (tx, summary, loaded) => tx.aiSummaries.save(summary, loaded),
    auditTargets: (summary) => ({ summaryId: summary.id }),
  };
}

/**
 * Spec AcceptAiSummary, the human-in-the-loop gate: a clinician accepts the ready draft, as is or
 * edited. The decision and `ai_summary.accepted` commit together; the chart push follows right
 * after the commit and, if FHIR cannot take it now, the worker retries it (the decision stands).
 */
export class AcceptAiSummary {
  constructor(private readonly deps: DecideAiSummaryDeps) {}

  async execute(actor: Actor, sessionId: string, editedText?: string): Promise<AiSummaryView> {
    const { aggregate } = await runAggregateCommand(this.deps, {
      ...summaryCommand(actor, sessionId, "ai_summary.accept"),
      change: (summary, now) => summary.accept(actorId(actor), editedText, now),
    });
    const accepted = aggregate.snapshot();
    const charted = await this.deps.pipeline.pushOne(accepted.tenantId, accepted.id);
    return aiSummaryView(charted ?? accepted);
  }
}
