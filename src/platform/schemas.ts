import { Type } from "@sinclair/typebox";
import { EXTERNAL_ID_SOURCE, FHIR_ID_SOURCE } from "../domain/identifiers.js";

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
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { maxItems: 20 })),
  },
  { $id: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);

/**
 * Error answers a route may give, plus the 500 any route may give. Keyed by media type because the
 * service sends them as `application/problem+json` (RFC 9457): Fastify serializes by that key and
 * the OpenAPI document states the type clients really receive.
 */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    [...statuses, 500].map((s) => [s, { description: `Problem (${s})`, content: { "application/problem+json": { schema: Type.Ref(Problem) } } }]),
  );

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
};
