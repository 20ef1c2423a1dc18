import type { AsyncVisitState } from "../../domain/async-visit.js";

export interface AsyncVisitView {
  id: string;
  status: string;
  patientId: string;
  providerId: string;
  sessionId: string | null;
  text: string;
  attachments: Array<{ id: string; contentType: string; filename: string; sizeBytes: number }>;
  submittedBy: { kind: string; id: string };
  submittedAt: string;
  reviewedAt: string | null;
  reviewedBy: string | null;
  replies: Array<{ id: string; text: string; authorId: string; repliedAt: string }>;
}

export function asyncVisitView(v: AsyncVisitState): AsyncVisitView {
  return {
    id: v.id,
    status: v.status,
    patientId: v.patientId,
    providerId: v.providerId,
    sessionId: v.sessionId,
    text: v.text,
    attachments: v.attachments.map(({ id, contentType, filename, sizeBytes }) => ({ id, contentType, filename, sizeBytes })),
    submittedBy: v.submittedBy,
    submittedAt: v.submittedAt.toISOString(),
    reviewedAt: v.reviewedAt ? v.reviewedAt.toISOString() : null,
    reviewedBy: v.reviewedBy,
    replies: v.replies.map((r) => ({ id: r.id, text: r.text, authorId: r.authorId, repliedAt: r.repliedAt.toISOString() })),
  };
}
