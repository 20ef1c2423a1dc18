import { Type } from "@sinclair/typebox";
import { FhirId, Nullable, PageQuery, WrittenDateTime as DateTime } from "../../platform/schemas.js";

/** Shapes of the async-visit routes. */
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
    attachments: Type.Array(Attachment, { maxItems: 5 }),
    submittedBy: Type.Object({ kind: Type.String(), id: Type.String() }),
    submittedAt: DateTime,
    reviewedAt: Nullable(DateTime),
    reviewedBy: Nullable(Type.String()),
  },
  { title: "AsyncVisit" },
);

/** Documents the multipart form; the handler validates the stream itself (see async-visits route). */
export const AsyncVisitForm = Type.Object({
  patientId: Type.Optional({ ...FhirId, description: "required for staff; a patient's join token implies it" }),
  providerId: Type.Optional(FhirId),
  sessionId: Type.Optional(Type.String({ format: "uuid" })),
  text: Type.Optional(Type.String({ maxLength: 10_000 })),
  attachments: Type.Optional(
    Type.Array(Type.String({ format: "binary" }), { maxItems: 5, description: "JPEG, PNG or PDF, 5 MB each, recognised by content" }),
  ),
});

export const AsyncVisitListQuery = Type.Object(
  {
    providerId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    ...PageQuery,
  },
  { additionalProperties: false },
);
