import { actorId } from "../../platform/authorization.js";
import { runAggregateCommand } from "../../platform/command.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import { summaryCommand, type DecideAiSummaryDeps } from "./accept-ai-summary.js";
import type { Actor } from "../../platform/ports.js";

/** The clinician discards the draft: nothing reaches the chart; a new upload starts over. */
export class RejectAiSummary {
  constructor(private readonly deps: Omit<DecideAiSummaryDeps, "pipeline">) {}

  async execute(actor: Actor, sessionId: string, reason?: string): Promise<AiSummaryView> {
    const { aggregate } = await runAggregateCommand(this.deps, {
      ...summaryCommand(actor, sessionId, "ai_summary.reject"),
      change: (summary, now) => summary.reject(actorId(actor), reason, now),
    });
    return aiSummaryView(aggregate.snapshot());
  }
}
