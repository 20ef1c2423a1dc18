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
  {
    additionalProperties: false,
    examples: [
      {
        patientId: "pat-1042",
        providerId: "dr-lee",
        scheduledStart: "2030-01-07T09:00:00.000Z",
        scheduledEnd: "2030-01-07T09:30:00.000Z",
        appointmentId: "appt-20300107-0900",
        participants: [{ role: "patient", displayName: "Alex Morgan", externalId: "pat-1042" }],
      },
    ],
  },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(SessionStatus, { maxItems: 5, description: "repeat to match any of several", examples: [["scheduled", "in_progress"]] })),
    patientId: Type.Optional({ ...Id, examples: ["pat-1042"] }),
    providerId: Type.Optional({ ...Id, examples: ["dr-lee"] }),
    from: Type.Optional({ ...DateTime, description: "scheduledStart at or after this", examples: ["2030-01-07T00:00:00.000Z"] }),
    to: Type.Optional({ ...DateTime, description: "scheduledStart before this", examples: ["2030-01-08T00:00:00.000Z"] }),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: "why; sent to the participants' notifications" }) },
  { additionalProperties: false, examples: [{ reason: "the patient asked to reschedule" }] },
);
export const FallbackBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    measuredKbps: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000, description: "the bandwidth that was measured, when that is the reason" })),
  },
  { additionalProperties: false, examples: [{ reason: "the patient's connection cannot carry video", measuredKbps: 96.5 }] },
);

export const CreateHeaders = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "any unique string per intended create (a UUID): a retry with the same key and body returns the first answer",
      examples: ["b7e2c4a1-0f3d-4e9a-8c6b-2d5f1a7e9c30"],
    }),
  ),
});

/** The data of the console list's `waiting` event (waiting-board-routes.ts). */
export const WaitingBoardData = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        sessionId: Type.String({ format: "uuid" }),
        patientId: Type.String(),
        sessionStatus: SessionStatus,
        waiting: Type.Integer({ minimum: 1, description: "participants in the waiting room now" }),
        waitingSince: Type.String({ format: "date-time", description: "when the first of them started waiting" }),
      }),
      { maxItems: 200, description: "longest wait first" },
    ),
  },
  {
    $id: "WaitingBoard",
    description: "Who is waiting, in every scheduled or in-progress visit of the tenant (the console's live list)",
    examples: [{ items: [{ sessionId: "2f1c7a0e-5b8d-4c3e-9a61-0d2b7e4f9c15", patientId: "pat-1042", sessionStatus: "scheduled", waiting: 1, waitingSince: "2030-01-07T08:58:41.000Z" }] }],
  },
);
