import { ApiError } from "./api.js";
import { t } from "./i18n.js";

type Key = Parameters<typeof t>[0];

/**
 * The words for a refusal (console and patient page), chosen by the problem's `code` and translated; never the
 * service's `detail`, which is English and written for developers. A code without words of its
 * own gets the general sentence for its kind (client mistake, busy, failure).
 */
const byCode: Record<string, Key> = {
  VALIDATION_FAILED: "problem.VALIDATION_FAILED",
  FORBIDDEN: "problem.FORBIDDEN",
  UNAUTHENTICATED: "problem.UNAUTHENTICATED",
  NOT_FOUND: "problem.NOT_FOUND",
  CONSENT_REQUIRED: "problem.CONSENT_REQUIRED",
  CONSENT_CHECK_UNAVAILABLE: "problem.CONSENT_CHECK_UNAVAILABLE",
  MODULE_NOT_LICENSED: "problem.MODULE_NOT_LICENSED",
  VIDEO_PROVIDER_UNAVAILABLE: "problem.VIDEO_PROVIDER_UNAVAILABLE",
  PROVIDER_QUOTA_EXCEEDED: "problem.PROVIDER_QUOTA_EXCEEDED",
  MAX_PARTICIPANTS_EXCEEDED: "problem.MAX_PARTICIPANTS_EXCEEDED",
  INVALID_STATUS_TRANSITION: "problem.INVALID_STATUS_TRANSITION",
  OPTIMISTIC_LOCK_CONFLICT: "problem.OPTIMISTIC_LOCK_CONFLICT",
  PARTICIPANT_NOT_IN_WAITING_ROOM: "problem.PARTICIPANT_NOT_IN_WAITING_ROOM",
  APPOINTMENT_ALREADY_LINKED: "problem.APPOINTMENT_ALREADY_LINKED",
  AI_SUMMARY_DISABLED: "problem.AI_SUMMARY_DISABLED",
  RATE_LIMITED: "problem.busy",
  SERVICE_OVERLOADED: "problem.busy",
  DATABASE_UNAVAILABLE: "problem.busy",
  SERVICE_SHUTTING_DOWN: "problem.busy",
  REQUEST_TIMEOUT: "problem.busy",
  PATIENT_DIRECTORY_UNAVAILABLE: "problem.PATIENT_DIRECTORY_UNAVAILABLE",
};

/** `general`, when given, replaces the general sentences with the caller's own ("The reply was not sent…"). */
export function problemMessage(err: unknown, general?: string): string {
  const key = err instanceof ApiError ? byCode[err.code] : undefined;
  if (key) return t(key);
  if (general !== undefined) return general;
  if (!(err instanceof ApiError)) return t("problem.network");
  return t(err.status >= 500 ? "problem.failed" : "problem.refused");
}
