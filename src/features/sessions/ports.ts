/** Ports of the sessions feature: the read side, idempotent create, room provisioning, the Encounter saga. */
import type { SessionState, SessionStatus } from "../../domain/session.js";
import type { VideoBackend } from "../../domain/tenant-config.js";
import type { AuditEntry, CommandTx } from "../../platform/ports.js";

export interface SessionListFilter {
  tenantId: string;
  statuses?: SessionStatus[];
  patientId?: string;
  providerId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  after?: { scheduledStart: Date; id: string };
}

/** Plain reads for the read routes: no aggregate, always inside the caller's tenant. */
export interface SessionQueries {
  list(filter: SessionListFilter): Promise<SessionState[]>;
  get(tenantId: string, sessionId: string): Promise<SessionState | null>;
  /**
   * `get`, with `audit` (the read's success entry) written when the session exists, committed
   * together with the read: the caller answers only once it resolves, so only once the audit row
   * is durable, and a session not found writes nothing here (the caller audits the refusal).
   */
  getAudited(tenantId: string, sessionId: string, audit: AuditEntry): Promise<SessionState | null>;
}

export interface IdempotentResponse {
  tenantId: string;
  key: string;
  requestHash: string;
  statusCode: number;
  body: unknown;
}

export interface IdempotencyStore {
  find(tenantId: string, key: string): Promise<IdempotentResponse | null>;
  /** Returns false when another request already stored this key (the caller then rolls back). */
  save(record: IdempotentResponse): Promise<boolean>;
}

/**
 * Ended sessions still waiting for their Encounter. FHIR is called outside any transaction, so a
 * replica takes a lease (a time, stored on the session) instead of holding a row lock: while it
 * runs, no other replica calls FHIR for that session; a crashed holder's lease simply expires.
 */
export interface PendingEncounterStore {
  /** Leases the oldest pending session whose lease is free, skipping `excludeIds`; null when none. */
  leaseNext(excludeIds: readonly string[], now: Date, until: Date): Promise<{ tenantId: string; sessionId: string } | null>;
  /** Leases this session when it is still pending and nobody holds it; false otherwise. */
  lease(tenantId: string, sessionId: string, now: Date, until: Date): Promise<boolean>;
  /** Gives a lease back early (FHIR failed: the reconciler may retry at its next pass). */
  release(tenantId: string, sessionId: string): Promise<void>;
}

export interface SessionsTx extends CommandTx {
  idempotency: IdempotencyStore;
  pendingEncounters: PendingEncounterStore;
}

/** Reserves video rooms (the spec's VideoProviderPort, create side). */
export interface RoomProvisioner {
  /** Reserves a room on the backend; room names carry at least 128 bits of randomness. */
  createRoom(backend: VideoBackend): Promise<{ roomName: string }>;
}

export interface BackendHealth {
  backend: string;
  healthy: boolean;
  detail: string;
}

export interface VideoProviderHealthPort {
  check(backend: VideoBackend): Promise<BackendHealth>;
}

export interface ConsentCheckPort {
  /** True when an active Consent for the patient is on file. Throws when the source cannot answer. */
  hasActiveConsent(tenantId: string, patientId: string): Promise<boolean>;
}

export interface EncounterRequest {
  sessionId: string;
  patientId: string;
  providerId: string;
  start: Date;
  end: Date;
}

/**
 * The FHIR Encounter of an ended visit, created conditionally on the session's identifier, so a
 * retry, a second replica or a crash between create and commit never yields a second one.
 * Throws when FHIR cannot be reached or refuses the write.
 */
export interface EncounterPort {
  /** The id of the one Encounter of the session (created now, or found). */
  ensureEncounter(request: EncounterRequest): Promise<string>;
}


/** A visit of today's list with somebody in its waiting room (the console's live list). */
export interface WaitingEntry {
  sessionId: string;
  patientId: string;
  sessionStatus: SessionStatus;
  /** Participants waiting now (patient and guests). */
  waiting: number;
  /** When the first of them started waiting. */
  waitingSince: Date;
}

/** The tenant's waiting board: one read serves every open list stream of the tenant. */
export interface WaitingBoardQueries {
  /** Joinable visits (scheduled, in progress) with someone waiting, longest wait first, at most `limit`. */
  waitingBoard(tenantId: string, limit: number): Promise<WaitingEntry[]>;
}

/** Wakes whoever watches a tenant's sessions as a whole: called after any change to one of them commits. */
export interface TenantSessionChanges {
  /** `onChange` runs after each committed change to any session of the tenant; returns the unsubscribe. */
  subscribeTenant(tenantId: string, onChange: () => void): () => void;
}
