import { Type, type Static } from "@sinclair/typebox";
import { participantRoles } from "../domain/participant.js";
import type { Participant as ParticipantState } from "../domain/participant.js";
import { sessionStatuses, type SessionState } from "../domain/session.js";
import { toJson } from "./json.js";
import { DateTime, Id, Name, Nullable } from "./schemas.js";

/**
 * The session and its participants on the wire: the one schema of each (validation of answers,
 * serialization, OpenAPI) and the view types derived from it. Every feature that answers with a
 * session or a participant uses these.
 */
export const ParticipantRole = Type.Union(participantRoles.map((r) => Type.Literal(r)));

export const Participant = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    role: ParticipantRole,
    displayName: Type.String(),
    externalId: Nullable(Type.String()),
    status: Type.Union(["invited", "waiting", "admitted", "removed"].map((s) => Type.Literal(s))),
    waitingSince: Nullable(DateTime),
    admittedAt: Nullable(DateTime),
    removedAt: Nullable(DateTime),
    // Beyond contract §3's participant (additions only): the last pre-call check, null until one counts.
    precallKbps: Type.Union([Type.Number(), Type.Null()], { description: "kbit/s the participant's browser measured and reported" }),
    precallBelowThreshold: Type.Union([Type.Boolean(), Type.Null()], {
      description: "whether that was below the tenant's fallbackBandwidthKbps when reported",
    }),
    precallCheckedAt: Nullable(DateTime),
  },
  { $id: "Participant" },
);

export const SessionStatus = Type.Union(sessionStatuses.map((s) => Type.Literal(s)));

export const Session = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    tenantId: Type.String(),
    status: SessionStatus,
    patientId: Type.String(),
    providerId: Type.String(),
    appointmentId: Nullable(Type.String()),
    scheduledStart: DateTime,
    scheduledEnd: DateTime,
    video: Type.Object({ backend: Type.String(), provider: Type.String(), domain: Type.String(), roomName: Type.String() }),
    encounterId: Nullable(Type.String()),
    cancelReason: Nullable(Type.String()),
    fallback: Type.Union([
      Type.Object({ reason: Type.String(), measuredKbps: Type.Union([Type.Number(), Type.Null()]), initiatedAt: DateTime }),
      Type.Null(),
    ]),
    startedAt: Nullable(DateTime),
    endedAt: Nullable(DateTime),
    createdAt: DateTime,
    updatedAt: DateTime,
    version: Type.Integer({ minimum: 1 }),
    participants: Type.Array(Type.Ref(Participant), { maxItems: 50 }),
  },
  { $id: "Session" },
);

/** A participant as invited: on create (`participants[]`) and by the add-participant route. */
export const NewParticipantBody = Type.Object(
  { role: ParticipantRole, displayName: Name, externalId: Type.Optional(Id) },
  { additionalProperties: false },
);

export const SessionIdParams = Type.Object({ id: Type.String({ format: "uuid" }) });
export const ParticipantParams = Type.Object({ id: Type.String({ format: "uuid" }), pid: Type.String({ format: "uuid" }) });

export const MutationHeaders = Type.Object({
  "if-match": Type.Optional(Type.String({ maxLength: 64, description: 'the session version you read, e.g. "3"' })),
});

// The TypeBox unions of literals above infer `string`-compatible members; the views keep the
// domain's own precise types (the compiler checks below keep schema and domain in step).
export type ParticipantView = Static<typeof Participant>;
export type SessionView = Omit<Static<typeof Session>, "participants"> & { participants: ParticipantView[] };

export const participantView = (p: ParticipantState): ParticipantView => toJson(p);
export const sessionView = (s: SessionState): SessionView => toJson(s);
