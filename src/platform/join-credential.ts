/**
 * Patients and guests hold a join token instead of a staff JWT. The HTTP edge verifies it once per
 * request (src/http/participant-auth.ts) and hands the use case a `JoinCredential`: who the token
 * speaks for and its claims, signature checked, expiry NOT judged. The use case judges expiry
 * against its clock inside its audited part, so an expired link is recorded against its holder.
 */
import { DomainError } from "../domain/errors.js";
import type { Actor } from "./ports.js";

/** What a join token vouches for. Ids only: no names, no clinical data. */
export interface JoinTokenClaims {
  tenantId: string;
  sessionId: string;
  participantId: string;
  /** Whole seconds: the token carries its expiry as a Unix time. */
  expiresAt: Date;
}

/** Longer than any token we issue (a few hundred characters); anything longer is not ours. */
export const MAX_JOIN_TOKEN_LENGTH = 4096;

export type ParticipantActor = Extract<Actor, { kind: "participant" }>;

/** A join token whose signature verified: the participant it speaks for, and its claims. */
export interface JoinCredential {
  actor: ParticipantActor;
  claims: JoinTokenClaims;
}

export const isExpired = (claims: JoinTokenClaims, now: Date): boolean => now.getTime() >= claims.expiresAt.getTime();

export function assertUnexpired(claims: JoinTokenClaims, now: Date): void {
  if (isExpired(claims, now)) {
    throw new DomainError("TOKEN_EXPIRED", "the join token has expired; ask the clinic for a new link");
  }
}
