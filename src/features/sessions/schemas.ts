import { Type, type Static } from "@sinclair/typebox";
import { DateTime, FhirId, Id, PageQuery } from "../../platform/schemas.js";
import { NewParticipantBody, SessionStatus } from "../../platform/session-view.js";

/** Request shapes of the session routes (the Session answer itself is in platform/session-view.ts). */
export const CreateSessionBody = Type.Object(
  {
    patientId: FhirId,
    providerId: FhirId,
    scheduledStart: DateTime,
    scheduledEnd: Type.Optional(DateTime),
    appointmentId: Type.Optional(Id),
    participants: Type.Optional(Type.Array(NewParticipantBody, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(SessionStatus, { maxItems: 5 })),
    patientId: Type.Optional(Id),
    providerId: Type.Optional(Id),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
export const FallbackBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }), measuredKbps: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000 })) },
  { additionalProperties: false },
);

export const CreateHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
