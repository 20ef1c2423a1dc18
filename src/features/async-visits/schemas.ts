import { Type } from "@sinclair/typebox";
import { EXAMPLE_IDS } from "../../platform/examples.js";
import { FhirId, Nullable, PageQuery, WrittenDateTime as DateTime } from "../../platform/schemas.js";

/** Shapes of the async-visit routes. */
export const Attachment = Type.Object({
  id: Type.String({ format: "uuid" }),
  contentType: Type.String(),
  filename: Type.String(),
  sizeBytes: Type.Integer(),
});

const replyFields = {
  id: Type.String({ format: "uuid" }),
  text: Type.String({ maxLength: 5000 }),
  authorId: Type.String({ description: "the staff user who wrote it" }),
  repliedAt: DateTime,
};

const EXAMPLE_REPLY = { id: EXAMPLE_IDS.reply, text: "Keep the arm raised; see you Friday.", authorId: "dr-lee", repliedAt: "2030-01-07T11:20:00.000Z" };

export const AsyncVisitReply = Type.Object(
  { ...replyFields, asyncVisitId: Type.String({ format: "uuid" }) },
  { title: "AsyncVisitReply", examples: [{ ...EXAMPLE_REPLY, asyncVisitId: EXAMPLE_IDS.asyncVisit }] },
);

export const AsyncVisitReplyBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 5000, description: "the answer, shown to the patient on their link (not empty once trimmed)" }) },
  { additionalProperties: false, examples: [{ text: EXAMPLE_REPLY.text }] },
);

export const AsyncVisit = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    status: Type.Unsafe<string>({ type: "string", enum: ["submitted", "reviewed"] }),
    patientId: Type.String(),
    providerId: Type.String(),
    sessionId: Nullable(Type.String()),
    text: Type.String(),
    attachments: Type.Array(Attachment, { maxItems: 5 }),
    submittedBy: Type.Object({ kind: Type.String(), id: Type.String() }),
    submittedAt: DateTime,
    reviewedAt: Nullable(DateTime),
    reviewedBy: Nullable(Type.String()),
    replies: Type.Array(Type.Object(replyFields), { maxItems: 50, description: "the clinic's written answers, oldest first" }),
  },
  {
    title: "AsyncVisit",
    examples: [
      {
        id: EXAMPLE_IDS.asyncVisit,
        status: "submitted",
        patientId: "pat-1042",
        providerId: "dr-lee",
        sessionId: EXAMPLE_IDS.session,
        text: "The rash on my arm is spreading; photo attached.",
        attachments: [{ id: EXAMPLE_IDS.attachment, contentType: "image/png", filename: "arm.png", sizeBytes: 184320 }],
        submittedBy: { kind: "participant", id: EXAMPLE_IDS.patientParticipant },
        submittedAt: "2030-01-07T10:05:00.000Z",
        reviewedAt: null,
        reviewedBy: null,
        replies: [EXAMPLE_REPLY],
      },
    ],
  },
);

/** Documents the multipart form; the handler validates the stream itself (see async-visits route). */
export const AsyncVisitForm = Type.Object(
  {
    patientId: Type.Optional({ ...FhirId, description: "required for staff; a patient's join token implies it" }),
    providerId: Type.Optional(FhirId),
    sessionId: Type.Optional(Type.String({ format: "uuid" })),
    text: Type.Optional(Type.String({ maxLength: 10_000 })),
    attachments: Type.Optional(
      Type.Array(Type.String({ format: "binary" }), { maxItems: 5, description: "JPEG, PNG or PDF, 5 MB each, recognised by content" }),
    ),
  },
  { examples: [{ sessionId: EXAMPLE_IDS.session, text: "The rash on my arm is spreading; photo attached." }] },
);

export const AsyncVisitListQuery = Type.Object(
  {
    providerId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "only this provider's", examples: ["dr-lee"] })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

/** A patient's view of what they sent on their link: no staff ids, no attachment downloads. */
export const OwnAsyncVisit = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    status: Type.Unsafe<string>({ type: "string", enum: ["submitted", "reviewed"] }),
    text: Type.String(),
    attachments: Type.Array(Type.Object({ filename: Type.String(), contentType: Type.String(), sizeBytes: Type.Integer() }), { maxItems: 5 }),
    submittedAt: DateTime,
    replies: Type.Array(Type.Object({ id: Type.String({ format: "uuid" }), text: Type.String(), repliedAt: DateTime }), { maxItems: 50 }),
  },
  {
    title: "OwnAsyncVisit",
    examples: [
      {
        id: EXAMPLE_IDS.asyncVisit,
        status: "reviewed",
        text: "The rash on my arm is spreading; photo attached.",
        attachments: [{ filename: "arm.png", contentType: "image/png", sizeBytes: 184320 }],
        submittedAt: "2030-01-07T10:05:00.000Z",
        replies: [{ id: EXAMPLE_IDS.reply, text: "Keep the arm raised; see you Friday.", repliedAt: "2030-01-07T11:20:00.000Z" }],
      },
    ],
  },
);
