import { Type } from "@sinclair/typebox";

/** Schemas of the clinical routes (AI summary, async visits): validation, serialization, OpenAPI. */
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
const DateTime = Type.String({ format: "date-time" });

export const SoapDraft = Type.Object({
  subjective: Type.String(),
  objective: Type.String(),
  assessment: Type.String(),
  plan: Type.String(),
});

export const AiSummary = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    sessionId: Type.String({ format: "uuid" }),
    status: Type.Unsafe<string>({
      type: "string",
      enum: ["pending", "processing", "ready", "failed", "accepted", "rejected"],
      description: "pending → processing → ready → accepted | rejected; failed drafts are retried with backoff",
    }),
    source: Type.Unsafe<string>({ type: "string", enum: ["text", "audio"] }),
    draft: Type.Union([Type.Null(), SoapDraft]),
    acceptedText: Nullable(Type.String()),
    edited: Type.Union([Type.Null(), Type.Boolean()]),
    decidedBy: Nullable(Type.String()),
    decidedAt: Nullable(DateTime),
    rejectReason: Nullable(Type.String()),
    documentReferenceId: Nullable(Type.String({ description: "the FHIR DocumentReference once the accepted summary is in the chart" })),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(DateTime),
    lastError: Nullable(Type.String({ description: "an error code, e.g. TRANSCRIPTION_FAILED" })),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: "AiSummary" },
);

export const TranscriptBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 200_000, description: "the visit transcript" }) },
  { additionalProperties: false },
);
export const AcceptBody = Type.Object(
  { text: Type.Optional(Type.String({ minLength: 1, maxLength: 50_000, description: "the clinician's edited summary; absent = the draft as is" })) },
  { additionalProperties: false },
);
export const RejectBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);

export const Attachment = Type.Object({
  id: Type.String({ format: "uuid" }),
  contentType: Type.String(),
  filename: Type.String(),
  sizeBytes: Type.Integer(),
});

export const AsyncVisit = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    status: Type.Unsafe<string>({ type: "string", enum: ["submitted", "reviewed"] }),
    patientId: Type.String(),
    providerId: Type.String(),
    sessionId: Nullable(Type.String()),
    text: Type.String(),
    attachments: Type.Array(Attachment),
    submittedBy: Type.Object({ kind: Type.String(), id: Type.String() }),
    submittedAt: DateTime,
    reviewedAt: Nullable(DateTime),
    reviewedBy: Nullable(Type.String()),
  },
  { title: "AsyncVisit" },
);

/** Documents the multipart form; the handler validates the stream itself (see async-visits route). */
export const AsyncVisitForm = Type.Object({
  patientId: Type.Optional(Type.String({ description: "required for staff; a patient's join token implies it" })),
  providerId: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String({ format: "uuid" })),
  text: Type.Optional(Type.String({ maxLength: 10_000 })),
  attachments: Type.Optional(
    Type.Array(Type.String({ format: "binary" }), { maxItems: 5, description: "JPEG, PNG or PDF, 5 MB each, recognised by content" }),
  ),
});

export const AsyncVisitListQuery = Type.Object(
  {
    providerId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
