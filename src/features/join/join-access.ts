import { DomainError, notFound } from "../../domain/errors.js";
import { isFinal } from "../../domain/session.js";
import type { JoinState } from "./ports.js";

/**
 * The join routes refuse, in this order: unknown participant → 404; ended or cancelled session → 409 with the
 * status (so a waiting patient learns the visit is over); removed participant → 403.
 */
export function assertJoinStateUsable(state: JoinState | null): asserts state is JoinState {
  if (!state) throw notFound("participant");
  if (isFinal(state.sessionStatus)) {
    throw new DomainError("INVALID_STATUS_TRANSITION", `the session is ${state.sessionStatus}`, { currentStatus: state.sessionStatus });
  }
  if (state.participant.status === "removed") {
    throw new DomainError("PARTICIPANT_REMOVED", "participant has been removed from the session");
  }
}
