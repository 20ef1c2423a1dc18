import { Type } from "@sinclair/typebox";
import { EXAMPLE_IDS } from "../../platform/examples.js";
import { Nullable, WrittenDateTime as DateTime } from "../../platform/schemas.js";

/** Shapes of the AI summary routes. */

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
  {
    title: "AiSummary",
    examples: [
      {
        id: EXAMPLE_IDS.summary,
        sessionId: EXAMPLE_IDS.session,
        status: "ready",
        source: "text",
        draft: {
          subjective: "Sore throat for three days, no fever.",
          objective: "Mild pharyngeal redness seen on video.",
          assessment: "Likely viral pharyngitis.",
          plan: "Fluids, rest; call back if fever or trouble swallowing.",
        },
        acceptedText: null,
        edited: null,
        decidedBy: null,
        decidedAt: null,
        rejectReason: null,
        documentReferenceId: null,
        attempts: 1,
        nextAttemptAt: null,
        lastError: null,
        createdAt: "2030-01-07T09:31:00.000Z",
        updatedAt: "2030-01-07T09:31:40.000Z",
      },
    ],
  },
);

export const TranscriptBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 200_000, description: "the visit transcript" }) },
  { additionalProperties: false, examples: [{ text: "Clinician: What brings you in today?\nPatient: A sore throat since Monday." }] },
);
export const AcceptBody = Type.Object(
  { text: Type.Optional(Type.String({ minLength: 1, maxLength: 50_000, description: "the clinician's edited summary; absent = the draft as is" })) },
  { additionalProperties: false, examples: [{ text: "Viral pharyngitis; fluids and rest; call back if fever." }] },
);
export const RejectBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false, examples: [{ reason: "the draft misses the medication change" }] },
);
