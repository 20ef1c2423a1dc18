/** Ports of the join flow: join tokens, the waiting-room read, signed video links. */
import type { Participant, ParticipantRole, ParticipantStatus } from "../../domain/participant.js";
import type { SessionStatus, VideoRoom } from "../../domain/session.js";
import type { TenantConfig, VideoBackend } from "../../domain/tenant-config.js";

/** What a join token vouches for. Ids only: no names, no clinical data. */
export interface JoinTokenClaims {
  tenantId: string;
  sessionId: string;
  participantId: string;
  /** Whole seconds: the token carries its expiry as a Unix time. */
  expiresAt: Date;
}

export interface JoinTokenSignerPort {
  /** An opaque token over (kid, tenant, session, participant, expiry), signed with the current key. */
  issue(claims: JoinTokenClaims): string;
  /**
   * Checks format, key id and signature (constant time) with every key still listed, and returns
   * the claims; throws TOKEN_INVALID otherwise. Expiry is the caller's to judge against its clock.
   */
  verify(token: string): JoinTokenClaims;
}

/** One participant as the join routes need it, with its session and tenant config, in one read. */
export interface JoinState {
  tenantId: string;
  sessionId: string;
  sessionStatus: SessionStatus;
  scheduledStart: Date;
  scheduledEnd: Date;
  video: VideoRoom;
  participant: { id: string; role: ParticipantRole; displayName: string; status: ParticipantStatus };
  /** Null when the tenant has no stored config (unlicensed). */
  config: TenantConfig | null;
}

export interface JoinQueries {
  /**
   * The hot path of the waiting room: a single SQL statement, always inside the tenant. Null
   * when no such participant exists in that session of that tenant.
   */
  joinState(tenantId: string, sessionId: string, participantId: string): Promise<JoinState | null>;
}

export interface VideoJoinInput {
  tenantId: string;
  backend: VideoBackend;
  roomName: string;
  user: { id: string; name: string; moderator: boolean };
  /** When the link is signed (the JWT's `iat`). */
  issuedAt: Date;
  /** A little before issuedAt, for a Jitsi host whose clock lags (`nbf`). */
  notBefore: Date;
  /** The earliest moment the JWT may stop working (`exp` is never before it). */
  expiresAt: Date;
}

/** Signed video links (the spec's VideoProviderPort, join side). */
export interface VideoLinkSigner {
  /** `https://{domain}/{roomName}?jwt={jwt}` with the backend's signed video JWT. */
  joinUrl(input: VideoJoinInput): Promise<string>;
}

/** The participant list of a session (GetParticipantList); null when the tenant has no such session. */
export interface ParticipantQueries {
  participants(tenantId: string, sessionId: string): Promise<Participant[] | null>;
}

/** Wakes whoever watches a session (the waiting-room push): called after a change to it commits. */
export interface SessionChanges {
  /** `onChange` runs after each committed change of that session; returns the unsubscribe. */
  subscribe(tenantId: string, sessionId: string, onChange: () => void): () => void;
}
