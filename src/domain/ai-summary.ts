import { AggregateRoot } from "./aggregate-root.js";
import { DomainError } from "./errors.js";
import { EventTypes } from "./events.js";

/** The structured draft the model is asked for (SOAP note). */
export interface SoapDraft {
  subjective: string;
  objective: string;
  assessment: string;
  plan: string;
}

/**
 * pending → processing → ready → accepted | rejected; processing → failed → processing (retry).
 * Nothing reaches the chart before `accepted`; `accepted` and `rejected` are final.
 */
export type AiSummaryStatus = "pending" | "processing" | "ready" | "failed" | "accepted" | "rejected";

export interface AiSummaryState {
  id: string;
  tenantId: string;
  sessionId: string;
  status: AiSummaryStatus;
  source: "text" | "audio";
  transcript: string | null;
  draft: SoapDraft | null;
  acceptedText: string | null;
  edited: boolean | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  rejectReason: string | null;
  documentReferenceId: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  /** An error code (never model output or transcript text). */
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** Retry schedule of a failed draft: 30 s doubling to at most one hour; after 10 attempts it waits for a new upload. */
export const AI_RETRY = { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 10, leaseMs: 5 * 60_000 } as const;

export class AiSummary extends AggregateRoot<AiSummaryState> {

  private constructor(state: AiSummaryState) {
    super(state);
  }

  static rehydrate(state: AiSummaryState): AiSummary {
    return new AiSummary(state);
  }

  static request(input: { id: string; tenantId: string; sessionId: string; source: "text" | "audio"; transcript: string | null; now: Date }): AiSummary {
    return new AiSummary({
      id: input.id,
      tenantId: input.tenantId,
      sessionId: input.sessionId,
      status: "pending",
      source: input.source,
      transcript: input.transcript,
      draft: null,
      acceptedText: null,
      edited: null,
      decidedBy: null,
      decidedAt: null,
      rejectReason: null,
      documentReferenceId: null,
      attempts: 0,
      nextAttemptAt: input.now,
      leaseUntil: null,
      lastError: null,
      createdAt: input.now,
      updatedAt: input.now,
      version: 1,
    });
  }

  get status(): AiSummaryStatus {
    return this.state.status;
  }

  /** A new transcript or recording replaces the input and starts drafting again (not once accepted). */
  replaceInput(source: "text" | "audio", transcript: string | null, now: Date): void {
    this.assertIn(["pending", "processing", "ready", "failed", "rejected"], "replace the transcript of");
    Object.assign(this.state, {
      status: "pending",
      source,
      transcript,
      draft: null,
      decidedBy: null,
      decidedAt: null,
      rejectReason: null,
      attempts: 0,
      nextAttemptAt: now,
      leaseUntil: null,
      lastError: null,
      updatedAt: now,
    } satisfies Partial<AiSummaryState>);
  }

  /** A worker takes the draft for `AI_RETRY.leaseMs`; an expired lease lets another worker take it over. */
  startAttempt(now: Date): void {
    this.state.status = "processing";
    this.state.attempts += 1;
    this.state.leaseUntil = new Date(now.getTime() + AI_RETRY.leaseMs);
    this.state.updatedAt = now;
  }

  draftReady(transcript: string, draft: SoapDraft, now: Date): void {
    Object.assign(this.state, { status: "ready", transcript, draft, nextAttemptAt: null, leaseUntil: null, lastError: null, updatedAt: now });
  }

  /** Keeps a transcript already obtained, so the retry does not transcribe again. */
  attemptFailed(errorCode: string, transcript: string | null, now: Date): void {
    const { attempts } = this.state;
    const delay = backoffMs(attempts);
    Object.assign(this.state, {
      status: "failed",
      transcript: transcript ?? this.state.transcript,
      nextAttemptAt: attempts >= AI_RETRY.maxAttempts ? null : new Date(now.getTime() + delay),
      leaseUntil: null,
      lastError: errorCode,
      updatedAt: now,
    });
  }

  /** The human-in-the-loop gate: only a ready draft can be accepted, once. */
  accept(clinicianId: string, editedText: string | undefined, now: Date): void {
    this.assertIn(["ready"], "accept");
    const draft = this.state.draft as SoapDraft;
    const text = editedText ?? formatSoap(draft);
    Object.assign(this.state, { status: "accepted", acceptedText: text, edited: editedText !== undefined, decidedBy: clinicianId, decidedAt: now, attempts: 0, nextAttemptAt: now, lastError: null, updatedAt: now });
    // Ids only: the event announces the decision, never the clinical text.
    this.recordEvent({
      type: EventTypes.aiSummaryAccepted,
      tenantId: this.state.tenantId,
      aggregateType: "ai_summary",
      aggregateId: this.state.id,
      data: { summaryId: this.state.id, sessionId: this.state.sessionId, acceptedBy: clinicianId, edited: editedText !== undefined, acceptedAt: now.toISOString() },
    });
  }

  reject(clinicianId: string, reason: string | undefined, now: Date): void {
    this.assertIn(["ready", "failed"], "reject");
    Object.assign(this.state, { status: "rejected", decidedBy: clinicianId, decidedAt: now, rejectReason: reason ?? null, nextAttemptAt: null, updatedAt: now });
  }

  /**
   * A worker takes the chart push for `AI_RETRY.leaseMs`: it is not due again meanwhile, so no
   * other worker pushes it while this one waits for FHIR (outside any transaction).
   */
  startChartPush(now: Date): void {
    this.state.nextAttemptAt = new Date(now.getTime() + AI_RETRY.leaseMs);
    this.state.updatedAt = now;
  }

  linkDocument(documentReferenceId: string, now: Date): void {
    Object.assign(this.state, { documentReferenceId, nextAttemptAt: null, lastError: null, updatedAt: now });
  }

  /** The chart push failed: try again later, with no limit (an accepted note must not be lost). */
  chartPushFailed(now: Date): void {
    this.state.attempts += 1;
    this.state.nextAttemptAt = new Date(now.getTime() + backoffMs(this.state.attempts));
    this.state.lastError = "FHIR_UNAVAILABLE";
    this.state.updatedAt = now;
  }

  private assertIn(allowed: AiSummaryStatus[], what: string): void {
    if (!allowed.includes(this.state.status)) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `cannot ${what} a summary that is ${this.state.status}`, {
        currentStatus: this.state.status,
      });
    }
  }
}

/** 30 s after the first failure, doubling up to an hour. */
const backoffMs = (attempts: number): number => Math.min(AI_RETRY.baseMs * 2 ** Math.max(0, attempts - 1), AI_RETRY.maxMs);

export function formatSoap(d: SoapDraft): string {
  return `Subjective:\n${d.subjective}\n\nObjective:\n${d.objective}\n\nAssessment:\n${d.assessment}\n\nPlan:\n${d.plan}`;
}
