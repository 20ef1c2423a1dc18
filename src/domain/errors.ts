/**
 * Every failure the service reports to a caller has one of these codes (answered as application/problem+json with this `code`);
 * the list is the `code` enum of the OpenAPI document, so a new code is a new API version (clients/typescript/README.md).
 * The domain knows codes only; mapping a code to an HTTP status lives in `http/problem.ts`.
 */
export const errorCodes = [
  "VIDEO_PROVIDER_UNAVAILABLE",
  "CONSENT_REQUIRED",
  "MODULE_NOT_LICENSED",
  "INVALID_STATUS_TRANSITION",
  "OPTIMISTIC_LOCK_CONFLICT",
  "PARTICIPANT_NOT_IN_WAITING_ROOM",
  "TOKEN_EXPIRED",
  "MAX_PARTICIPANTS_EXCEEDED",
  "PROVIDER_QUOTA_EXCEEDED",
  "VALIDATION_FAILED",
  "UNAUTHENTICATED",
  "TOKEN_INVALID",
  "FORBIDDEN",
  "PARTICIPANT_REMOVED",
  "NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  "IDEMPOTENCY_KEY_REUSED",
  "APPOINTMENT_ALREADY_LINKED",
  "CONSENT_CHECK_UNAVAILABLE",
  "PATIENT_DIRECTORY_UNAVAILABLE",
  "AI_SUMMARY_DISABLED",
  "RATE_LIMITED",
  "QUOTA_EXCEEDED",
  "SERVICE_OVERLOADED",
  // Operational outcomes (not the domain's refusals): raised by the HTTP edge, never by use cases.
  "DATABASE_UNAVAILABLE",
  "REQUEST_TIMEOUT",
  "SERVICE_SHUTTING_DOWN",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Extensions the spec attaches to some errors . */
export interface ErrorDetails {
  currentStatus?: string;
  currentVersion?: number;
  diagnostic?: unknown;
  licensingUrl?: string;
  sessionId?: string;
  errors?: Array<{ path: string; message: string }>;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

export const notFound = (what: string): DomainError => new DomainError("NOT_FOUND", `${what} not found`);

/** The versioned aggregates, by the name a caller reads in a conflict's message. */
export type Versioned = "session" | "tenant config" | "async visit" | "AI summary";

/**
 * The one OPTIMISTIC_LOCK_CONFLICT: `stale` when the caller's If-Match (or body version) is not the
 * stored one, `concurrent` when another request's write won first. `currentVersion` is what a
 * caller re-reads against (contract §3).
 */
export const versionConflict = (what: Versioned, currentVersion: number, why: "stale" | "concurrent"): DomainError =>
  new DomainError(
    "OPTIMISTIC_LOCK_CONFLICT",
    why === "stale" ? `the ${what} was changed since you read it (version ${currentVersion} now)` : `the ${what} was changed by another request`,
    { currentVersion },
  );

export const validationFailed = (message: string, errors?: ErrorDetails["errors"]): DomainError =>
  new DomainError("VALIDATION_FAILED", message, errors ? { errors } : {});
