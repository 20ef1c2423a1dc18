import type { AiSummary, AiSummaryState, SoapDraft } from "../../domain/ai-summary.js";
import type { SessionState } from "../../domain/session.js";
import type { Clock, SystemUnitOfWork, UnitOfWork } from "../../platform/ports.js";
import type { AiGatewayPort, AiSummaryTx, ChartDocumentPort } from "./ports.js";

export interface AiSummaryPipelineDeps {
  uow: UnitOfWork<AiSummaryTx>;
  /** The claims of the next due draft or chart push, of whichever tenant. */
  system: SystemUnitOfWork<AiSummaryTx>;
  ai: AiGatewayPort | null;
  chart: ChartDocumentPort;
  clock: Clock;
  onFailure?: (summaryId: string, step: "draft" | "chart", err: unknown) => void;
}

const actor = (tenantId: string) => ({ kind: "system" as const, tenantId, name: "ai-summary-worker" });

/**
 * The background half of the AI summary: drafts due summaries through the AI gateway and pushes
 * accepted ones to the chart. Gateway calls happen outside any transaction: a draft is claimed
 * with a lease (so a crashed worker's draft is taken over later), and the result is stored only
 * when nobody replaced the input meanwhile.
 */
export class AiSummaryPipeline {
  constructor(private readonly deps: AiSummaryPipelineDeps) {}

  /** One worker pass: every due draft, then every accepted summary not yet in the chart. */
  async runPass(max = 20): Promise<{ drafted: number; failed: number; charted: number }> {
    let drafted = 0;
    let failed = 0;
    for (let i = 0; i < max; i++) {
      const outcome = await this.draftOne();
      if (outcome === "none") break;
      if (outcome === "ready") drafted += 1;
      else failed += 1;
    }
    return { drafted, failed, charted: await this.pushPending(max) };
  }

  async draftOne(): Promise<"none" | "ready" | "failed"> {
    const ai = this.deps.ai;
    if (!ai) return "none";
    const claimed = await this.deps.system.runAcrossTenants(async (tx) => {
      const summary = await tx.aiSummaries.claimDue(this.deps.clock.now());
      if (!summary) return null;
      const loaded = summary.version;
      summary.startAttempt(this.deps.clock.now());
      await tx.aiSummaries.save(summary, loaded);
      const state = summary.snapshot();
      const audio = state.transcript === null ? await tx.aiSummaries.audio(state.tenantId, state.id) : null;
      return { state, audio };
    });
    if (!claimed) return "none";
    const { state, audio } = claimed;
    let transcript = state.transcript;
    let draft: SoapDraft | null = null;
    let errorCode = "TRANSCRIPTION_FAILED";
    try {
      if (transcript === null) {
        if (!audio) throw new Error("no audio stored");
        transcript = await ai.transcribe(audio);
      }
      errorCode = "SUMMARY_FAILED";
      draft = await ai.summarise(transcript);
    } catch (err) {
      this.deps.onFailure?.(state.id, "draft", err);
    }
    await this.deps.uow.run(state.tenantId, async (tx) => {
      const summary = await tx.aiSummaries.findById(state.tenantId, state.id, { lock: true });
      // Replaced or decided while the gateway worked: this result belongs to an old input.
      if (!summary || summary.version !== state.version) return;
      const now = this.deps.clock.now();
      if (draft && transcript !== null) summary.draftReady(transcript, draft, now);
      else summary.attemptFailed(errorCode, transcript, now);
      const transcribedNow = state.transcript === null && transcript !== null;
      await tx.aiSummaries.save(summary, state.version, transcribedNow ? null : undefined);
    });
    return draft ? "ready" : "failed";
  }

  /** Pushes one accepted summary to the chart now; never throws (the worker retries later). */
  async pushOne(tenantId: string, summaryId: string): Promise<AiSummaryState | null> {
    try {
      const claimed = await this.deps.uow.run(tenantId, async (tx) => {
        const summary = await tx.aiSummaries.findById(tenantId, summaryId, { lock: true });
        const due = summary?.status === "accepted" && !summary.snapshot().documentReferenceId && !this.leased(summary);
        return due ? this.claim(tx, summary) : { done: summary?.snapshot() ?? null };
      });
      return "done" in claimed ? claimed.done : await this.push(claimed);
    } catch (err) {
      this.deps.onFailure?.(summaryId, "chart", err);
      return null;
    }
  }

  private async pushPending(max: number): Promise<number> {
    const tried: string[] = [];
    let charted = 0;
    while (tried.length < max) {
      const claimed = await this.deps.system.runAcrossTenants(async (tx) => {
        const summary = await tx.aiSummaries.claimChartPending(this.deps.clock.now(), tried);
        if (!summary) return null;
        tried.push(summary.id);
        return this.claim(tx, summary);
      });
      if (!claimed) break;
      try {
        await this.push(claimed);
        charted += 1;
      } catch (err) {
        this.deps.onFailure?.(claimed.summary.id, "chart", err);
        break; // FHIR is likely down: the next pass tries again.
      }
    }
    return charted;
  }

  /** Another worker holds the push (its lease has not run out). */
  private leased(summary: AiSummary): boolean {
    const next = summary.snapshot().nextAttemptAt;
    return next !== null && next.getTime() > this.deps.clock.now().getTime();
  }

  /** Inside a short transaction: lease the push and read what the chart document needs. */
  private async claim(tx: AiSummaryTx, summary: AiSummary): Promise<ChartPush> {
    const loaded = summary.version;
    summary.startChartPush(this.deps.clock.now());
    await tx.aiSummaries.save(summary, loaded);
    const s = summary.snapshot();
    const session = (await tx.sessions.findById(s.tenantId, s.sessionId))?.snapshot();
    if (!session) throw new Error("session of the summary is gone");
    return { summary: s, session };
  }

  /** Holding the lease: FHIR with no transaction open, then the link (or the retry time) in a short one. */
  private async push({ summary: s, session }: ChartPush): Promise<AiSummaryState> {
    let documentReferenceId: string;
    try {
      documentReferenceId = await this.deps.chart.ensureDocumentReference({
        summaryId: s.id,
        sessionId: s.sessionId,
        patientId: session.patientId,
        providerId: session.providerId,
        encounterId: session.encounterId,
        text: s.acceptedText ?? "",
        acceptedAt: s.decidedAt ?? this.deps.clock.now(),
      });
    } catch (err) {
      // The acceptance already committed; a failure to note the retry must not turn it into a 500.
      await this.recordChartFailure(s.tenantId, s.id).catch((e) => this.deps.onFailure?.(s.id, "chart", e));
      throw err;
    }
    return this.deps.uow.run(s.tenantId, async (tx) => {
      const summary = await tx.aiSummaries.findById(s.tenantId, s.id, { lock: true });
      if (!summary) throw new Error("summary is gone");
      // Linked meanwhile by the holder of an expired lease: the same document (conditional create).
      if (summary.snapshot().documentReferenceId) return summary.snapshot();
      const now = this.deps.clock.now();
      const loaded = summary.version;
      summary.linkDocument(documentReferenceId, now);
      await tx.aiSummaries.save(summary, loaded);
      await tx.audit.record({ actor: actor(s.tenantId), action: "ai_summary.chart_push", outcome: "success", targets: { sessionId: s.sessionId, summaryId: s.id, documentReferenceId } });
      return summary.snapshot();
    });
  }

  private async recordChartFailure(tenantId: string, summaryId: string): Promise<void> {
    await this.deps.uow.run(tenantId, async (tx) => {
      const summary = await tx.aiSummaries.findById(tenantId, summaryId, { lock: true });
      if (!summary || summary.status !== "accepted" || summary.snapshot().documentReferenceId) return;
      const loaded = summary.version;
      summary.chartPushFailed(this.deps.clock.now());
      await tx.aiSummaries.save(summary, loaded);
    });
  }
}

interface ChartPush {
  summary: AiSummaryState;
  session: SessionState;
}
