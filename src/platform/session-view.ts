import { Type, type Static } from "@sinclair/typebox";
import { participantRoles } from "../domain/participant.js";
import type { Participant as ParticipantState } from "../domain/participant.js";
import { sessionStatuses, type SessionState } from "../domain/session.js";
import { EXAMPLE_IDS, EXAMPLE_PATIENT, EXAMPLE_SESSION } from "./examples.js";
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
    precallVideoAnyway: Type.Union([Type.Boolean(), Type.Null()], {
      description: "below the threshold, whether the participant chose to try video anyway (the visit then stays on video)",
    }),
  },
  { $id: "Participant", description: "Someone taking part in a visit", examples: [EXAMPLE_PATIENT] },
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
  { $id: "Session", description: "A video visit with its participants", examples: [EXAMPLE_SESSION] },
);

/** A participant as invited: on create (`participants[]`) and by the add-participant route. */
export const NewParticipantBody = Type.Object(
  { role: ParticipantRole, displayName: Name, externalId: Type.Optional(Id) },
  { additionalProperties: false, examples: [{ role: "interpreter", displayName: "Ana Ruiz", externalId: "interp-77" }] },
);

const SessionId = Type.String({ format: "uuid", description: "the session's id", examples: [EXAMPLE_IDS.session] });
export const SessionIdParams = Type.Object({ id: SessionId });
export const ParticipantParams = Type.Object({
  id: SessionId,
  pid: Type.String({ format: "uuid", description: "the participant's id", examples: [EXAMPLE_IDS.patientParticipant] }),
});

export const MutationHeaders = Type.Object({
  "if-match": Type.Optional(Type.String({ maxLength: 64, description: 'the version you read (its ETag), e.g. "3": the change applies only if it is still current', examples: ['"2"'] })),
});

// The TypeBox unions of literals above infer `string`-compatible members; the views keep the
// domain's own precise types (the compiler checks below keep schema and domain in step).
export type ParticipantView = Static<typeof Participant>;
export type SessionView = Omit<Static<typeof Session>, "participants"> & { participants: ParticipantView[] };

export const participantView = (p: ParticipantState): ParticipantView => toJson(p);
export const sessionView = (s: SessionState): SessionView => toJson(s);
