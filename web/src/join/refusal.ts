import { ApiError } from "../api.js";

export type Refusal = "expired" | "invalid" | "removed" | "cancelled" | "ended" | "unlicensed" | "other";

/** The service's problem codes (contract §5, §7) as the screens a patient understands. */
export function refusalOf(err: unknown): Refusal {
  if (!(err instanceof ApiError)) return "other";
  switch (err.code) {
    case "TOKEN_EXPIRED":
      return "expired";
    case "TOKEN_INVALID":
    case "NOT_FOUND":
    case "VALIDATION_FAILED":
      return "invalid";
    case "PARTICIPANT_REMOVED":
      return "removed";
    case "MODULE_NOT_LICENSED":
      return "unlicensed";
    case "INVALID_STATUS_TRANSITION":
      return err.problem.currentStatus === "cancelled" ? "cancelled" : err.problem.currentStatus === "ended" ? "ended" : "other";
    default:
      return "other";
  }
}
