import { DomainError, notFound } from "../../domain/errors.js";
import { isFinal } from "../../domain/session.js";
import type { Actor } from "../../platform/ports.js";
import type { JoinState, JoinTokenClaims, JoinTokenSignerPort } from "./ports.js";

/** Longer than any token we issue (a few hundred characters); anything longer is not ours. */
export const MAX_JOIN_TOKEN_LENGTH = 4096;

export interface JoinCredential {
  actor: Actor & { kind: "participant" };
  claims: JoinTokenClaims;
}

/**
 * Reads a join token into the participant it speaks for. Signature only: expiry is checked by
 * `assertUnexpired` inside the audited part, so an expired token is recorded against its holder.
 */
export function readJoinToken(signer: JoinTokenSignerPort, token: string | undefined): JoinCredential {
  if (!token) throw new DomainError("TOKEN_INVALID", "send the join token as the body field `token` or the X-Join-Token header");
  if (token.length > MAX_JOIN_TOKEN_LENGTH) throw new DomainError("TOKEN_INVALID", "the join token is not valid");
  const claims = signer.verify(token);
  return {
    claims,
    actor: { kind: "participant", tenantId: claims.tenantId, sessionId: claims.sessionId, participantId: claims.participantId },
  };
}

export const isExpired = (claims: JoinTokenClaims, now: Date): boolean => now.getTime() >= claims.expiresAt.getTime();

export function assertUnexpired(claims: JoinTokenClaims, now: Date): void {
  if (isExpired(claims, now)) {
    throw new DomainError("TOKEN_EXPIRED", "the join token has expired; ask the clinic for a new link");
  }
}

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

/** A join token as a participant identity for other token-protected routes (async visits). */
export function participantFromJoinToken(signer: JoinTokenSignerPort, now: Date, token: string): JoinCredential["actor"] {
  const { actor, claims } = readJoinToken(signer, token);
  assertUnexpired(claims, now);
  return actor;
}
