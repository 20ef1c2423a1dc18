import { Type } from "@sinclair/typebox";
import { errorCodes } from "../domain/errors.js";
import { EXTERNAL_ID_SOURCE, FHIR_ID_SOURCE } from "../domain/identifiers.js";
import { EXAMPLE_VIDEO_URL } from "./examples.js";

/**
 * The building blocks every feature's TypeBox schemas share, and the problem+json shape. Schemas
 * are one source for validation, serialization, static types (`Static<>`) and the OpenAPI document.
 */
// Null first: with Fastify's type coercion, a string branch tried first would turn null into "".
export const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
/** Years 1970–9999 only: PostgreSQL cannot store year 0, and no visit predates 1970 (a 500 otherwise). */
export const DateTime = Type.String({ format: "date-time", pattern: "^(19[7-9][0-9]|[2-9][0-9]{3})-" });
/** A time the service writes (no input pattern needed). */
export const WrittenDateTime = Type.String({ format: "date-time" });
export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: EXTERNAL_ID_SOURCE });
/** A patient or provider id: the FHIR Patient/Practitioner logical id, so FHIR R4 id syntax. */
export const FhirId = Type.String({ minLength: 1, maxLength: 64, pattern: FHIR_ID_SOURCE, description: "a FHIR R4 logical id" });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
/** A string enum whose static type is the union (a mapped Type.Union infers `never`). */
export const OneOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: "string", enum: [...values], ...(description ? { description } : {}) });

export const Problem = Type.Object(
  {
    type: Type.String({
      format: "uri-reference",
      description: "The problem type: `/problems/{code in kebab case}`, a page this service serves (resolve it against the answering host)",
    }),
    title: Type.String({ description: "The problem type's title (the same for every occurrence of a code)" }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: "The HTTP status, repeated" }),
    detail: Type.String({ description: "What went wrong this time, for people: never parse it (use `code`)" }),
    code: OneOf(errorCodes, "What to program against: one code per problem type; each response lists the codes it can carry"),
    currentStatus: Type.Optional(Type.String({ description: "INVALID_STATUS_TRANSITION, PARTICIPANT_NOT_IN_WAITING_ROOM: the status now" })),
    currentVersion: Type.Optional(Type.Integer({ description: "OPTIMISTIC_LOCK_CONFLICT: the version now (re-read, then send it as If-Match)" })),
    diagnostic: Type.Optional(Type.Unknown({ description: "VIDEO_PROVIDER_UNAVAILABLE, PROVIDER_QUOTA_EXCEEDED: each video backend's result" })),
    licensingUrl: Type.Optional(Type.String({ description: "MODULE_NOT_LICENSED: where to license the module" })),
    sessionId: Type.Optional(Type.String({ description: "APPOINTMENT_ALREADY_LINKED: the appointment's session" })),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        maxItems: 20,
        description: "VALIDATION_FAILED: the fields at fault (JSON pointers into the body, or the parameter's name), at most 20",
      }),
    ),
  },
  { $id: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);

/** How every event stream of the API is read (its routes' OpenAPI description starts with this). */
export const EVENT_STREAM_DESCRIPTION =
  "Server-Sent Events (`text/event-stream`), read with fetch so the credential travels in a header, " +
  "never in a URL. ";

/** `videoJoinUrl` in answers: a Jitsi link with its signed JWT. */
export const VideoJoinUrl = Type.String({ description: "https://{domain}/{roomName}?jwt={jwt} — only ever for an admitted participant", examples: [EXAMPLE_VIDEO_URL] });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: "page size", examples: [20] })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: "the previous page's `nextCursor` (opaque)", examples: ["eyJzIjoiMjAzMC0wMS0wN1QwOTowMDowMC4wMDBaIn0"] })),
};

/** `Idempotency-Key` on a create: a retry with the same key (and body) returns the first answer. */
export const IdempotencyKeyHeaders = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "any unique string per intended create (a UUID): a retry with the same key and body returns the first answer",
      examples: ["b7e2c4a1-0f3d-4e9a-8c6b-2d5f1a7e9c30"],
    }),
  ),
});
