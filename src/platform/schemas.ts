import { Type, type Static } from "@sinclair/typebox";
import { EXTERNAL_ID_SOURCE } from "../domain/identifiers.js";
import { participantRoles } from "../domain/participant.js";
import { sessionStatuses } from "../domain/session.js";

/** JSON Schemas of the contract (§3, §6, §7): one source for validation, serialization and OpenAPI. */
// Null first: with Fastify's type coercion, a string branch tried first would turn null into "".
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
/** Years 1970–9999 only: PostgreSQL cannot store year 0, and no visit predates 1970 (a 500 otherwise). */
const DateTime = Type.String({ format: "date-time", pattern: "^(19[7-9][0-9]|[2-9][0-9]{3})-" });
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: EXTERNAL_ID_SOURCE });
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    currentStatus: Type.Optional(Type.String()),
    currentVersion: Type.Optional(Type.Integer()),
    diagnostic: Type.Optional(Type.Unknown()),
    licensingUrl: Type.Optional(Type.String()),
    sessionId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);

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
    participants: Type.Array(Type.Ref(Participant)),
  },
  { $id: "Session" },
);

export const NewParticipantBody = Type.Object(
  { role: ParticipantRole, displayName: Name, externalId: Type.Optional(Id) },
  { additionalProperties: false },
);

export const CreateSessionBody = Type.Object(
  {
    patientId: Id,
    providerId: Id,
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
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const SessionIdParams = Type.Object({ id: Type.String({ format: "uuid" }) });
export const ParticipantParams = Type.Object({ id: Type.String({ format: "uuid" }), pid: Type.String({ format: "uuid" }) });

export const CancelBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
export const FallbackBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }), measuredKbps: Type.Optional(Type.Number({ minimum: 0 })) },
  { additionalProperties: false },
);

export const MutationHeaders = Type.Object({
  "if-match": Type.Optional(Type.String({ maxLength: 64, description: 'the session version you read, e.g. "3"' })),
});
export const CreateHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

const BackendCommon = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$" }),
  provider: Type.Literal("jitsi"),
  domain: Type.String({ minLength: 3, maxLength: 253 }),
  appId: Type.String({ minLength: 1, maxLength: 128 }),
  healthUrl: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 2048 })])),
  maxConcurrentRooms: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 100000 })])),
};

export const TenantConfigBody = Type.Object(
  {
    tenantId: Type.Optional(Type.String({ description: "ignored when it names the caller's tenant; any other tenant is refused" })),
    version: Type.Optional(Type.Integer({ minimum: 0, description: "the version you read; used as If-Match when that header is absent" })),
    licensed: Type.Optional(Type.Boolean()),
    maxParticipants: Type.Optional(Type.Integer({ minimum: 2, maximum: 50 })),
    waitingRoomEnabled: Type.Optional(Type.Boolean()),
    consentRequired: Type.Optional(Type.Boolean()),
    joinTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    fallbackBandwidthKbps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
    aiSummaryEnabled: Type.Optional(Type.Boolean()),
    videoBackends: Type.Array(
      Type.Object(
        {
          ...BackendCommon,
          // "[REDACTED]" (what GET shows) keeps the stored secret, so GET → edit → PUT round-trips.
          secret: Type.Optional(Type.Union([Type.Literal("[REDACTED]"), Type.String({ minLength: 16, maxLength: 512 })])),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 2 },
    ),
  },
  { additionalProperties: false },
);

export const TenantConfig = Type.Object(
  {
    tenantId: Type.String(),
    version: Type.Integer(),
    licensed: Type.Boolean(),
    maxParticipants: Type.Integer(),
    waitingRoomEnabled: Type.Boolean(),
    consentRequired: Type.Boolean(),
    joinTokenTtlSeconds: Type.Integer(),
    fallbackBandwidthKbps: Type.Number(),
    aiSummaryEnabled: Type.Boolean(),
    videoBackends: Type.Array(
      Type.Object({
        name: Type.String(),
        provider: Type.Literal("jitsi"),
        domain: Type.String(),
        appId: Type.String(),
        secret: Type.Literal("[REDACTED]"),
        healthUrl: Type.Union([Type.String(), Type.Null()]),
        maxConcurrentRooms: Type.Union([Type.Integer(), Type.Null()]),
      }),
    ),
  },
  { $id: "TenantConfig" },
);

/** Error answers a route may give, for the OpenAPI document. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, Type.Ref(Problem)]));

// ---------- join flow (issue 3) ----------
/** A string enum whose static type is the union (a mapped Type.Union infers `never`). */
const OneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: "string", enum: [...values] });
const JoinTokenString = Type.String({ maxLength: 4096, description: "the opaque join token" });
const VideoJoinUrl = Type.String({ description: "https://{domain}/{roomName}?jwt={jwt} — only ever for an admitted participant" });

export const JoinTokenHeaders = Type.Object({ "x-join-token": Type.Optional(JoinTokenString) });
export const ValidateJoinBody = Type.Object({ token: Type.Optional(JoinTokenString) }, { additionalProperties: false });
export const BandwidthBody = Type.Object(
  { kbps: Type.Number({ minimum: 0, maximum: 10_000_000 }), token: Type.Optional(JoinTokenString) },
  { additionalProperties: false },
);

export const JoinTokenResponse = Type.Object({
  token: Type.String(),
  expiresAt: DateTime,
  joinUrl: Type.String({ description: "`${PUBLIC_BASE_URL}/join?token=…`, the link sent to the participant" }),
});
export const ValidationResponse = Type.Object({
  destination: Type.Union([Type.Literal("waiting_room"), Type.Literal("direct_join")]),
  sessionId: Type.String({ format: "uuid" }),
  participantId: Type.String({ format: "uuid" }),
  role: OneOf(participantRoles),
  videoJoinUrl: Type.Optional(VideoJoinUrl),
});
export const JoinStatusResponse = Type.Object({
  participantStatus: OneOf(["invited", "waiting", "admitted"] as const),
  sessionStatus: OneOf(sessionStatuses),
  videoJoinUrl: Type.Optional(VideoJoinUrl),
});
export const AdmissionResponse = Type.Object({ participant: Type.Ref(Participant), videoJoinUrl: VideoJoinUrl });
