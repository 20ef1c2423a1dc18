import { AiSummary } from "../../domain/ai-summary.js";
import { DomainError } from "../../domain/errors.js";
import { loadSession, runCommand, type CommandDeps } from "../../platform/command.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { Actor, IdGenerator } from "../../platform/ports.js";
import type { AiSummaryTx } from "./ports.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";

export type SummaryInput = { kind: "text"; text: string } | { kind: "audio"; data: Uint8Array; contentType: string };

export interface RequestAiSummaryDeps extends CommandDeps<AiSummaryTx> {
  ids: IdGenerator;
  /** False when no AI gateway is configured (AI_GATEWAY_URL unset). */
  gatewayConfigured: boolean;
  /** Starts drafting soon, off the request path (the visit never waits for the AI). */
  kick: () => void;
}

/**
 * A clinician hands in the visit's transcript (text) or recording (audio). Drafting starts once
 * the session has ended; a new upload replaces the input until the draft is accepted or rejected.
 */
export class RequestAiSummary {
  constructor(private readonly deps: RequestAiSummaryDeps) {}

  async execute(actor: Actor, sessionId: string, input: SummaryInput): Promise<AiSummaryView> {
    const head = { actor, permission: "ai_summary.request" as const, action: "ai_summary.request" as const, targets: { sessionId } };
    const { summary, ended } = await runCommand(
      this.deps,
      head,
      async (tx, now) => {
        const config = await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        const session = await loadSession(tx, actor.tenantId, sessionId);
        // Two causes, two people to fix them: the clinic's admin (the tenant setting) or the
        // operator (no gateway configured); the message names the one that applies.
        if (!config.aiSummaryEnabled) {
          throw new DomainError("AI_SUMMARY_DISABLED", "AI visit summaries are not enabled for this tenant (tenant config aiSummaryEnabled is false)");
        }
        if (!this.deps.gatewayConfigured) {
          throw new DomainError("AI_SUMMARY_DISABLED", "AI visit summaries are enabled for this tenant, but the service has no AI gateway (AI_GATEWAY_URL is not set)");
        }
        if (session.status === "cancelled") {
          throw new DomainError("INVALID_STATUS_TRANSITION", "a cancelled visit has nothing to summarise", { currentStatus: "cancelled" });
        }
        const transcript = input.kind === "text" ? input.text : null;
        const audio = input.kind === "audio" ? { data: input.data, contentType: input.contentType } : null;
        let summary = await tx.aiSummaries.findBySession(actor.tenantId, sessionId, { lock: true });
        if (summary) {
          const loaded = summary.version;
          summary.replaceInput(input.kind, transcript, now);
          await tx.aiSummaries.save(summary, loaded, audio);
        } else {
          summary = AiSummary.request({ id: this.deps.ids.uuid(), tenantId: actor.tenantId, sessionId, source: input.kind, transcript, now });
          await tx.aiSummaries.insert(summary, audio ?? undefined);
        }
        return { summary: summary.snapshot(), ended: session.status === "ended" };
      },
      { auditTargets: ({ summary }) => ({ summaryId: summary.id }) },
    );
    if (ended) this.deps.kick();
    return aiSummaryView(summary);
  }
}
