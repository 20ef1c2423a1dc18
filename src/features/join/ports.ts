/** Ports of the join flow: join tokens, the waiting-room read, link requests. */
import type { ParticipantRole, ParticipantStatus } from "../../domain/participant.js";
import type { SessionStatus, VideoRoom } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { JoinTokenClaims } from "../../platform/join-credential.js";
import type { AuditEntry, CommandTx } from "../../platform/ports.js";

export interface JoinTokenSignerPort {
  /** An opaque token over (kid, tenant, session, participant, expiry), signed with the current key. */
  issue(claims: JoinTokenClaims): string;
  /**
   * Checks format, key id and signature (constant time) with every key still listed, and returns
   * the claims; throws TOKEN_INVALID otherwise. Expiry is the caller's to judge against its clock.
   * The HTTP edge calls it, once per request (src/http/participant-auth.ts); use cases get the result.
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
  participant: { id: string; role: ParticipantRole; displayName: string; status: ParticipantStatus; waitingSince: Date | null };
  /** Null when the tenant has no stored config (unlicensed). */
  config: TenantConfig | null;
}

export interface JoinQueries {
  /**
   * The hot path of the waiting room: a single SQL statement, always inside the tenant. Null
   * when no such participant exists in that session of that tenant.
   */
  joinState(tenantId: string, sessionId: string, participantId: string): Promise<JoinState | null>;
  /**
   * `joinState`, with `audit` (the success entry of a validation that changes nothing) committed
   * together with the read when the state is one `keepsWaiting` accepts; `audited` says whether it
   * was. It is never written for a state `keepsWaiting` refuses (the adapter's condition is at most
   * as wide: test/adapters/join-state-audited.test.ts holds it to that).
   */
  joinStateAudited(tenantId: string, sessionId: string, participantId: string, audit: AuditEntry): Promise<(JoinState & { audited: boolean }) | null>;
}

/**
 * Signed video links (the spec's VideoProviderPort, join side): shared with the participants
 * feature's admission, so declared in platform/video-access.ts beside the one function that
 * decides a link's moderator and lifetime.
 */
export type { VideoJoinInput, VideoLinkSigner } from "../../platform/video-access.js";

/** A patient's request for a new link (issue 19): ids only. */
export interface NewLinkRequest {
  id: string;
  tenantId: string;
  sessionId: string;
  participantId: string;
  requestedAt: Date;
}

/** The open requests, in the requesting transaction (one open request per participant). */
export interface LinkRequestStore {
  /** Records the request unless the participant already has an open one; false then (nothing written). */
  open(request: NewLinkRequest): Promise<boolean>;
  /** Closes an open request; "missing" when the tenant has no such request, "closed" when it already was. */
  resolve(tenantId: string, id: string, by: string, at: Date): Promise<"resolved" | "closed" | "missing">;
}

export interface LinkRequestTx extends CommandTx {
  linkRequests: LinkRequestStore;
}

/** An open request as the console lists it: who asked (the name staff gave the participant), for which visit. */
export interface OpenLinkRequest {
  id: string;
  sessionId: string;
  participantId: string;
  displayName: string;
  role: ParticipantRole;
  patientId: string;
  scheduledStart: Date;
  requestedAt: Date;
}

export interface LinkRequestQueries {
  /** The tenant's open requests, oldest first, at most `limit`. */
  open(tenantId: string, limit: number): Promise<OpenLinkRequest[]>;
}
