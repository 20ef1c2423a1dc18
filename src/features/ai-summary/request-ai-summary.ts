import { AiSummary } from "../../domain/ai-summary.js";
import { DomainError, notFound } from "../../domain/errors.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import { aiSummaryView, type AiSummaryView } from "./ai-summary-view.js";
import type { Actor, AuditPort, ClinicalUnitOfWork, Clock, IdGenerator } from "../../platform/ports.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";

export type SummaryInput = { kind: "text"; text: string } | { kind: "audio"; data: Uint8Array; contentType: string };

export interface RequestAiSummaryDeps {
  uow: ClinicalUnitOfWork;
  audit: AuditPort;
  clock: Clock;
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
    const targets = { sessionId };
    return audited(this.deps.audit, { actor, action: "ai_summary.request", targets }, async () => {
      assertPermission(actor, "ai_summary.request");
      const view = await this.deps.uow.run(async (tx) => {
        const config = await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        const session = await tx.sessions.findById(actor.tenantId, sessionId);
        if (!session) throw notFound("session");
        if (!this.deps.gatewayConfigured || !config.aiSummaryEnabled) {
          throw new DomainError("AI_SUMMARY_DISABLED", "AI visit summaries are not enabled for this tenant");
        }
        if (session.status === "cancelled") {
          throw new DomainError("INVALID_STATUS_TRANSITION", "a cancelled visit has nothing to summarise", { currentStatus: "cancelled" });
        }
        const now = this.deps.clock.now();
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
        await tx.outbox.add([auditEvent({ actor, action: "ai_summary.request", outcome: "success", targets: { ...targets, summaryId: summary.id } }, now)]);
        return { view: aiSummaryView(summary.snapshot()), ended: session.status === "ended" };
      });
      if (view.ended) this.deps.kick();
      return view.view;
    });
  }
}
