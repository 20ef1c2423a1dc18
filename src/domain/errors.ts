/**
 * Every failure the service reports to a caller has one of these codes (answered as application/problem+json with this `code`).
 * The domain knows codes only; mapping a code to an HTTP status lives in `http/problem.ts`.
 */
export type ErrorCode =
  | "VIDEO_PROVIDER_UNAVAILABLE"
  | "CONSENT_REQUIRED"
  | "MODULE_NOT_LICENSED"
  | "INVALID_STATUS_TRANSITION"
  | "OPTIMISTIC_LOCK_CONFLICT"
  | "PARTICIPANT_NOT_IN_WAITING_ROOM"
  | "TOKEN_EXPIRED"
  | "MAX_PARTICIPANTS_EXCEEDED"
  | "PROVIDER_QUOTA_EXCEEDED"
  | "VALIDATION_FAILED"
  | "UNAUTHENTICATED"
  | "TOKEN_INVALID"
  | "FORBIDDEN"
  | "PARTICIPANT_REMOVED"
  | "NOT_FOUND"
  | "PAYLOAD_TOO_LARGE"
  | "IDEMPOTENCY_KEY_REUSED"
  | "APPOINTMENT_ALREADY_LINKED"
  | "CONSENT_CHECK_UNAVAILABLE"
  | "AI_SUMMARY_DISABLED"
  | "RATE_LIMITED"
  | "INTERNAL";

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

export const validationFailed = (message: string, errors?: ErrorDetails["errors"]): DomainError =>
  new DomainError("VALIDATION_FAILED", message, errors ? { errors } : {});
