import type { FastifyError } from "fastify";
import { DomainError, type ErrorCode, type ErrorDetails } from "../domain/errors.js";

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
  INTERNAL: 500,
  VIDEO_PROVIDER_UNAVAILABLE: 503,
  PROVIDER_QUOTA_EXCEEDED: 503,
  CONSENT_CHECK_UNAVAILABLE: 503,
};

const titles: Partial<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface Problem extends ErrorDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
}

export const PROBLEM_TYPE_BASE = "https://docs.virtual-care.example/problems/";

export function problem(status: number, code: ErrorCode, detail: string, details: ErrorDetails = {}): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replaceAll("_", "-")}`,
    title: titles[status] ?? "Error",
    status,
    detail,
    code,
    ...details,
  };
}

/**
 * Every failure becomes a problem document. Only DomainErrors and Fastify's own client errors keep
 * their message; anything else is an INTERNAL 500 that says nothing about what went wrong inside.
 */
export function toProblem(err: unknown, requestId: string): Problem {
  if (err instanceof DomainError) {
    return problem(statusByCode[err.code], err.code, err.message, err.details);
  }
  const fe = err as Partial<FastifyError> & { validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }> };
  if (fe.validation) {
    const errors = fe.validation.map((v) => ({
      path: v.instancePath || (v.params?.missingProperty ? `/${String(v.params.missingProperty)}` : "/"),
      message: v.message ?? "is invalid",
    }));
    return problem(400, "VALIDATION_FAILED", `request ${fe.validationContext ?? "body"} is invalid`, { errors });
  }
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem(413, "PAYLOAD_TOO_LARGE", "the request body is larger than 1 MiB");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem(415, "VALIDATION_FAILED", "send the body as application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem(400, "VALIDATION_FAILED", "the JSON body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return problem(400, "VALIDATION_FAILED", "the body is not valid JSON");
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
