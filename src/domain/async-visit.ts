import { AggregateRoot } from "./aggregate-root.js";
import { DomainError, validationFailed } from "./errors.js";
import { EventTypes } from "./events.js";

/** Store-and-forward limits: what a patient or staff member may send in one async visit. */
export const ASYNC_VISIT_LIMITS = {
  maxTextChars: 10_000,
  maxAttachments: 5,
  maxAttachmentBytes: 5 * 1024 * 1024,
  /** A join token is a patient's whole credential: what it may store is bounded (issue 11). */
  maxSubmissionsPerParticipant: 3,
  maxBytesPerParticipant: 30 * 1024 * 1024,
  /** Everything a tenant's patients and staff may upload in 24 h. */
  maxTenantBytesPerDay: 2 * 1024 * 1024 * 1024,
  /** Participants submit from a day before the visit to three days after its end. */
  submitFromBeforeStartMs: 24 * 60 * 60 * 1000,
  submitUntilAfterEndMs: 72 * 60 * 60 * 1000,
  /** A clinic's written answer to one: a message, not a document. */
  maxReplyChars: 5_000,
  /** Replies one visit may hold: a conversation, bounded so a loop cannot grow a row set forever. */
  maxRepliesPerVisit: 50,
} as const;

/** Accepted attachment types, as recognised from the bytes, with the names a sender may give them. */
export const ATTACHMENT_TYPES: Record<string, { extensions: readonly string[] }> = {
  "image/jpeg": { extensions: ["jpg", "jpeg"] },
  "image/png": { extensions: ["png"] },
  "application/pdf": { extensions: ["pdf"] },
};

export type AsyncVisitStatus = "submitted" | "reviewed";

export interface AttachmentInfo {
  id: string;
  position: number;
  contentType: string;
  filename: string;
  sizeBytes: number;
}

/** A clinic's written answer to an async visit, shown to the patient on their link. */
export interface AsyncVisitReply {
  id: string;
  /** The staff user who wrote it. */
  authorId: string;
  text: string;
  repliedAt: Date;
}

export interface AsyncVisitState {
  id: string;
  tenantId: string;
  patientId: string;
  providerId: string;
  sessionId: string | null;
  submittedBy: { kind: "staff" | "participant"; id: string };
  text: string;
  status: AsyncVisitStatus;
  attachments: AttachmentInfo[];
  submittedAt: Date;
  reviewedAt: Date | null;
  reviewedBy: string | null;
  /** Oldest first. */
  replies: AsyncVisitReply[];
  version: number;
}

export interface IncomingAttachment {
  filename: string;
  declaredType: string | null;
  sizeBytes: number;
  /** What the bytes are, as recognised by their signature; null when unrecognised. */
  detectedType: string | null;
}

/**
 * Checks one attachment: an accepted type by its bytes, and a declared type and file name that
 * agree with the bytes (a PDF named .png is refused: a viewer trusting the name would mishandle it).
 */
export function checkAttachment(a: IncomingAttachment, index: number): void {
  const path = `/attachments/${index}`;
  if (a.sizeBytes > ASYNC_VISIT_LIMITS.maxAttachmentBytes) {
    throw new DomainError("PAYLOAD_TOO_LARGE", `attachment ${index + 1} is larger than 5 MB`);
  }
  if (a.sizeBytes === 0) throw validationFailed("an attachment is empty", [{ path, message: "is empty" }]);
  const type = a.detectedType ? ATTACHMENT_TYPES[a.detectedType] : undefined;
  if (!a.detectedType || !type) {
    throw validationFailed("attachments must be JPEG, PNG or PDF files", [{ path, message: "content is not JPEG, PNG or PDF" }]);
  }
  const declared = a.declaredType?.split(";")[0]?.trim().toLowerCase();
  const generic = !declared || declared === "application/octet-stream";
  if (!generic && declared !== a.detectedType && !(declared === "image/jpg" && a.detectedType === "image/jpeg")) {
    throw validationFailed("an attachment's declared type does not match its content", [{ path, message: `content is ${a.detectedType}, declared ${declared}` }]);
  }
  const ext = /\.([A-Za-z0-9]+)$/.exec(a.filename)?.[1]?.toLowerCase();
  if (ext && !type.extensions.includes(ext)) {
    throw validationFailed("an attachment's file name does not match its content", [{ path, message: `content is ${a.detectedType}, named .${ext}` }]);
  }
}

export class AsyncVisit extends AggregateRoot<AsyncVisitState> {
  private constructor(state: AsyncVisitState) {
    super(state);
  }

  static rehydrate(state: AsyncVisitState): AsyncVisit {
    return new AsyncVisit(state);
  }

  static submit(input: Omit<AsyncVisitState, "status" | "reviewedAt" | "reviewedBy" | "replies" | "version">, incoming: IncomingAttachment[]): AsyncVisit {
    if (input.text.length > ASYNC_VISIT_LIMITS.maxTextChars) {
      throw validationFailed("the text may have at most 10,000 characters", [{ path: "/text", message: "is longer than 10000 characters" }]);
    }
    if (incoming.length > ASYNC_VISIT_LIMITS.maxAttachments) {
      throw validationFailed("at most 5 attachments", [{ path: "/attachments", message: "has more than 5 files" }]);
    }
    if (input.text.trim().length === 0 && incoming.length === 0) {
      throw validationFailed("send a text, attachments, or both", [{ path: "/text", message: "is empty and there is no attachment" }]);
    }
    incoming.forEach(checkAttachment);
    const visit = new AsyncVisit({ ...input, status: "submitted", reviewedAt: null, reviewedBy: null, replies: [], version: 1 });
    // Ids only: the provider is notified that something arrived, not what it says.
    visit.recordEvent({
      type: EventTypes.asyncVisitSubmitted,
      tenantId: input.tenantId,
      aggregateType: "async_visit",
      aggregateId: input.id,
      data: {
        asyncVisitId: input.id,
        patientId: input.patientId,
        providerId: input.providerId,
        sessionId: input.sessionId,
        attachmentCount: input.attachments.length,
        submittedAt: input.submittedAt.toISOString(),
      },
    });
    return visit;
  }

  /** Replies added since the last save: the repository inserts these (replies are never edited). */
  private added: AsyncVisitReply[] = [];

  /**
   * A clinician answers in writing. Allowed before and after "reviewed" (an answer often follows
   * the review); the event carries ids only, so the notification service links, never quotes.
   */
  reply(input: { id: string; authorId: string; text: string }, now: Date): AsyncVisitReply {
    const text = input.text.trim();
    if (text.length === 0) throw validationFailed("the reply is empty", [{ path: "/text", message: "is empty" }]);
    if (text.length > ASYNC_VISIT_LIMITS.maxReplyChars) {
      throw validationFailed("a reply may have at most 5,000 characters", [{ path: "/text", message: "is longer than 5000 characters" }]);
    }
    if (this.state.replies.length >= ASYNC_VISIT_LIMITS.maxRepliesPerVisit) {
      throw new DomainError("QUOTA_EXCEEDED", "this written visit has the most replies it can hold; start a new visit");
    }
    const reply: AsyncVisitReply = { id: input.id, authorId: input.authorId, text, repliedAt: now };
    this.state.replies.push(reply);
    this.added.push(reply);
    this.recordEvent({
      type: EventTypes.asyncVisitReplied,
      tenantId: this.state.tenantId,
      aggregateType: "async_visit",
      aggregateId: this.state.id,
      data: {
        asyncVisitId: this.state.id,
        replyId: reply.id,
        patientId: this.state.patientId,
        providerId: this.state.providerId,
        sessionId: this.state.sessionId,
        // Whom to notify: a participant's link can show the reply; a staff-entered visit has none.
        submittedBy: { kind: this.state.submittedBy.kind, id: this.state.submittedBy.id },
        repliedBy: reply.authorId,
        repliedAt: now.toISOString(),
      },
    });
    return structuredClone(reply);
  }

  /** The replies to insert on save (and forgets them: a second save inserts nothing twice). */
  takeAddedReplies(): AsyncVisitReply[] {
    const out = this.added;
    this.added = [];
    return out;
  }

  markReviewed(reviewerId: string, now: Date): void {
    if (this.state.status !== "submitted") {
      throw new DomainError("INVALID_STATUS_TRANSITION", "this async visit was already reviewed", { currentStatus: this.state.status });
    }
    this.state.status = "reviewed";
    this.state.reviewedAt = now;
    this.state.reviewedBy = reviewerId;
  }
}
