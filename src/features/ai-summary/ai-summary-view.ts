import type { AiSummaryState, SoapDraft } from "../../domain/ai-summary.js";

/** What a clinician sees of a visit summary (the transcript stays server-side). */
export interface AiSummaryView {
  id: string;
  sessionId: string;
  status: string;
  source: string;
  draft: SoapDraft | null;
  acceptedText: string | null;
  edited: boolean | null;
  decidedBy: string | null;
  decidedAt: string | null;
  rejectReason: string | null;
  documentReferenceId: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function aiSummaryView(s: AiSummaryState): AiSummaryView {
  return {
    id: s.id,
    sessionId: s.sessionId,
    status: s.status,
    source: s.source,
    draft: s.draft,
    acceptedText: s.acceptedText,
    edited: s.edited,
    decidedBy: s.decidedBy,
    decidedAt: iso(s.decidedAt),
    rejectReason: s.rejectReason,
    documentReferenceId: s.documentReferenceId,
    attempts: s.attempts,
    // A draft being worked on or decided has no pending retry to show.
    nextAttemptAt: s.status === "failed" ? iso(s.nextAttemptAt) : null,
    lastError: s.lastError,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
