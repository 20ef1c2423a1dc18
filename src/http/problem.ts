import type { FastifyError } from "fastify";
import { isDatabaseUnavailable } from "../platform/database-failure.js";
import { DomainError, type ErrorCode, type ErrorDetails } from "../domain/errors.js";
import { PROBLEM_CATALOG, problemTypeUri } from "./problem-catalog.js";

/** The one mapping from outcome to HTTP status (every code in domain/errors.ts, as application/problem+json). */
export const statusByCode: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  PARTICIPANT_REMOVED: 403,
  CONSENT_REQUIRED: 403,
  MODULE_NOT_LICENSED: 403,
  AI_SUMMARY_DISABLED: 403,
  NOT_FOUND: 404,
  INVALID_STATUS_TRANSITION: 409,
  OPTIMISTIC_LOCK_CONFLICT: 409,
  PARTICIPANT_NOT_IN_WAITING_ROOM: 409,
  APPOINTMENT_ALREADY_LINKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  MAX_PARTICIPANTS_EXCEEDED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL: 500,
  VIDEO_PROVIDER_UNAVAILABLE: 503,
  PROVIDER_QUOTA_EXCEEDED: 503,
  CONSENT_CHECK_UNAVAILABLE: 503,
  PATIENT_DIRECTORY_UNAVAILABLE: 503,
  SERVICE_OVERLOADED: 503,
  DATABASE_UNAVAILABLE: 503,
  REQUEST_TIMEOUT: 503,
  SERVICE_SHUTTING_DOWN: 503,
};

/**
 * Outcomes that pass by themselves (an outage, a slow dependency) tell clients when to try again
 * (Retry-After, seconds): a client library backs off instead of retrying at once.
 */
export const retryAfterSeconds: Partial<Record<ErrorCode, number>> = {
  DATABASE_UNAVAILABLE: 5,
  REQUEST_TIMEOUT: 5,
  SERVICE_SHUTTING_DOWN: 1,
  SERVICE_OVERLOADED: 5,
};


export interface Problem extends ErrorDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
}

/** At most this many validation errors are echoed; the first ones name the fix. */
export const MAX_REPORTED_ERRORS = 20;

export function problem(status: number, code: ErrorCode, detail: string, details: ErrorDetails = {}): Problem {
  return {
    type: problemTypeUri(code),
    title: PROBLEM_CATALOG[code].title,
    status,
    detail,
    code,
    ...details,
  };
}

/**
 * Every failure becomes a problem document. Only DomainErrors and Fastify's own client errors keep
 * their message; the database out of reach is a 503 DATABASE_UNAVAILABLE, a request past its
 * bound a 503 REQUEST_TIMEOUT; anything else is an INTERNAL 500 that says nothing about what went
 * wrong inside.
 */
export function toProblem(err: unknown, requestId: string): Problem {
  if (err instanceof DomainError) {
    return problem(statusByCode[err.code], err.code, err.message, err.details);
  }
  const fe = err as Partial<FastifyError> & { validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }> };
  if (fe.validation) {
    // A bounded list: the answer must not grow with the input (issue 11, amplification).
    const errors = fe.validation.slice(0, MAX_REPORTED_ERRORS).map((v) => ({
      path: v.instancePath || (v.params?.missingProperty ? `/${String(v.params.missingProperty)}` : "/"),
      message: v.message ?? "is invalid",
    }));
    return problem(400, "VALIDATION_FAILED", `request ${fe.validationContext ?? "body"} is invalid`, { errors });
  }
  if (isDatabaseUnavailable(err)) {
    return problem(503, "DATABASE_UNAVAILABLE", "the database is unavailable; retry later");
  }
  switch (fe.code) {
    case "FST_ERR_HANDLER_TIMEOUT":
      return problem(503, "REQUEST_TIMEOUT", "the request was not completed in time; retry later");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem(413, "PAYLOAD_TOO_LARGE", "the request body is larger than 1 MiB");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      // Most routes take JSON; the few that take files, audio or filler say so in the document.
      return problem(415, "VALIDATION_FAILED", "this route does not take a body of that content type (most take application/json)");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem(400, "VALIDATION_FAILED", "the JSON body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return problem(400, "VALIDATION_FAILED", "the body is not valid JSON");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return problem(414, "VALIDATION_FAILED", "a path parameter is too long");
    case "FST_UNDER_PRESSURE":
      return problem(503, "SERVICE_OVERLOADED", "the service is overloaded; retry shortly");
  }
  const status = fe.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, bad content length...): the message names no internals.
    return problem(status, status === 404 ? "NOT_FOUND" : "VALIDATION_FAILED", clientMessage(fe));
  }
  return problem(500, "INTERNAL", `an unexpected error occurred; quote reference ${requestId} to support`);
}

function clientMessage(fe: Partial<FastifyError>): string {
  if (fe instanceof SyntaxError || fe.name === "SyntaxError") return "the body is not valid JSON";
  return typeof fe.message === "string" && fe.message.length < 200 ? fe.message : "the request is invalid";
}
