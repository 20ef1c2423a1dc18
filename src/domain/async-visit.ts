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

  static submit(input: Omit<AsyncVisitState, "status" | "reviewedAt" | "reviewedBy" | "version">, incoming: IncomingAttachment[]): AsyncVisit {
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
    const visit = new AsyncVisit({ ...input, status: "submitted", reviewedAt: null, reviewedBy: null, version: 1 });
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


  markReviewed(reviewerId: string, now: Date): void {
    if (this.state.status !== "submitted") {
      throw new DomainError("INVALID_STATUS_TRANSITION", "this async visit was already reviewed", { currentStatus: this.state.status });
    }
    this.state.status = "reviewed";
    this.state.reviewedAt = now;
    this.state.reviewedBy = reviewerId;
  }
}
