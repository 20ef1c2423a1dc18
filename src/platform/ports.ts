/**
 * Every port of the spec (§3) as a TypeScript interface, plus the plumbing ports (Clock, Ids,
 * UnitOfWork). Use cases depend on these only; adapters implement them; `main.ts` wires them.
 */
import type { DomainEvent } from "../domain/events.js";
import type { SessionState, SessionStatus, VirtualSession } from "../domain/session.js";
import type { Participant } from "../domain/participant.js";
import type { TenantConfig, VideoBackend } from "../domain/tenant-config.js";

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  uuid(): string;
}

// ---------- who is acting ----------
export type StaffRole = "clinician" | "scheduler" | "admin" | "platform_admin";

export type Actor =
  | { kind: "staff"; userId: string; tenantId: string; roles: readonly StaffRole[] }
  | { kind: "participant"; tenantId: string; sessionId: string; participantId: string }
  | { kind: "system"; tenantId: string; name: string };

// ---------- persistence ----------
export interface VirtualSessionRepository {
  findById(tenantId: string, sessionId: string): Promise<VirtualSession | null>;
  findByAppointment(tenantId: string, appointmentId: string): Promise<VirtualSession | null>;
  /** Inserts a new session with its participants and recorded events. */
  insert(session: VirtualSession): Promise<void>;
  /**
   * Saves state, participants and recorded events when the stored version still equals
   * `expectedVersion`; otherwise throws OPTIMISTIC_LOCK_CONFLICT with the current version.
   */
  save(session: VirtualSession, expectedVersion: number): Promise<void>;
  /**
   * Serialises room allocation on one backend of a tenant until the transaction ends, so two
   * concurrent creates cannot both take the last free room.
   */
  lockBackend(tenantId: string, backendName: string): Promise<void>;
  /** Rooms of non-final sessions on the backend whose scheduled time overlaps [start, end). */
  countRoomsInUse(tenantId: string, backendName: string, start: Date, end: Date): Promise<number>;
}

export interface TenantConfigRepository {
  get(tenantId: string): Promise<TenantConfig | null>;
  /** Insert (expectedVersion 0) or replace; throws OPTIMISTIC_LOCK_CONFLICT when the version moved. */
  save(config: TenantConfig, expectedVersion: number): Promise<TenantConfig>;
}

/** Appends events to the transactional outbox (same transaction as the change they record). */
export interface OutboxWriter {
  add(events: DomainEvent[]): Promise<void>;
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

export interface TransactionContext {
  sessions: VirtualSessionRepository;
  tenantConfigs: TenantConfigRepository;
  outbox: OutboxWriter;
  idempotency: IdempotencyStore;
}

export interface UnitOfWork {
  /** Runs `work` in one database transaction; a throw rolls everything back, outbox rows included. */
  run<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T>;
}

// ---------- read side ----------
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

export interface SessionQueries {
  list(filter: SessionListFilter): Promise<SessionState[]>;
  get(tenantId: string, sessionId: string): Promise<SessionState | null>;
  participants(tenantId: string, sessionId: string): Promise<Participant[] | null>;
}

// ---------- outbound ----------
export interface VideoProviderPort {
  /** Reserves a room on the backend; room names carry at least 128 bits of randomness. */
  createRoom(backend: VideoBackend): Promise<{ roomName: string }>;
  /** The URL a participant opens to join, with a signed video JWT (contract §5). */
  joinUrl(input: VideoJoinInput): Promise<string>;
}

export interface VideoJoinInput {
  tenantId: string;
  backend: VideoBackend;
  roomName: string;
  user: { id: string; name: string; moderator: boolean };
  notBefore: Date;
  expiresAt: Date;
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

export interface SecretStorePort {
  /** Envelope-encrypts a secret bound to `context` (e.g. the tenant id). */
  seal(plaintext: string, context: string): Promise<string>;
  open(envelope: string, context: string): Promise<string>;
}

export interface AuditEntry {
  actor: Actor;
  action: string;
  outcome: "success" | "denied" | "failed";
  /** Ids only: never clinical content, names or free text. */
  targets: Record<string, string>;
  reason?: string;
}

/** Durable audit: entries go to the outbox table and reach the AUDIT stream through the relay. */
export interface AuditPort {
  record(entry: AuditEntry): Promise<void>;
}

// ---------- join flow: join tokens, waiting room, admission (issue 3) ----------
import type { ParticipantRole, ParticipantStatus } from "../domain/participant.js";
import type { VideoRoom } from "../domain/session.js";

/** What a join token vouches for (contract §5). Ids only: no names, no clinical data. */
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

// ---------- events: outbox relay, scheduling inbox (issue 4) ----------

/** A committed outbox row on its way to the broker; `id` is the CloudEvent id. */
export interface OutboxMessage {
  id: string;
  /** Position in the outbox table: the relay publishes in this order. */
  seq: number;
  tenantId: string;
  aggregateType: string;
  aggregateId: string;
  /** The CloudEvent type, which is also the subject it is published on. */
  type: string;
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** Publishes outbox events (NATS JetStream, or the dev log sink without NATS). */
export interface EventPublisherPort {
  /**
   * Resolves once the broker has stored the event; a re-publish of the same id is dropped by the
   * broker as a duplicate and also resolves. Rejects when the event was not (known to be) stored.
   */
  publish(message: OutboxMessage): Promise<void>;
  close(): Promise<void>;
}

/** The relay's view of the outbox table. */
export interface OutboxRelayStore {
  /** True while this process may relay; at most one replica holds it at a time. */
  acquire(): Promise<boolean>;
  /** The oldest unpublished rows, in commit (seq) order. */
  pending(limit: number): Promise<OutboxMessage[]>;
  markPublished(ids: string[], at: Date): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
  /** Resolves when new rows were committed (where the database can tell) or after `ms`. */
  waitForWork(ms: number, signal: AbortSignal): Promise<void>;
  release(): Promise<void>;
}

/** A consumed event, identified by CloudEvent `source` + `id`. */
export interface InboxEntry {
  source: string;
  eventId: string;
  type: string;
  /** "applied", "ignored" or "rejected:<CODE>". */
  outcome: string;
}

/** Thrown by an inbox unit of work when the event was already handled; its effect is rolled back. */
export class InboxDuplicateError extends Error {
  constructor() {
    super("event already handled");
    this.name = "InboxDuplicateError";
  }
}

export interface InboxPort {
  seen(source: string, eventId: string): Promise<boolean>;
  /**
   * A UnitOfWork whose transaction first records `entry` in the inbox, so the event's effect and
   * its inbox row commit (or roll back) together. Meant for a single `run` per event; a second
   * `run`, or a concurrent delivery of the same event, throws InboxDuplicateError.
   */
  unitOfWork(entry: InboxEntry): UnitOfWork;
}

// ---------- clinical integrations (issue 5): Encounter saga, AI visit summary, async visits ----------
import type { AiSummary, SoapDraft } from "../domain/ai-summary.js";
import type { AsyncVisit, AsyncVisitState } from "../domain/async-visit.js";

export interface EncounterRequest {
  sessionId: string;
  patientId: string;
  providerId: string;
  start: Date;
  end: Date;
}

export interface ChartDocumentRequest {
  summaryId: string;
  sessionId: string;
  patientId: string;
  providerId: string;
  /** Linked when the Encounter saga has already stored it. */
  encounterId: string | null;
  text: string;
  acceptedAt: Date;
}

/**
 * FHIR R4 writes (contract §9). Both creates are conditional on a business identifier, so a retry,
 * a second replica or a crash between create and commit never yields a second resource.
 * Throws when FHIR cannot be reached or refuses the write.
 */
export interface FhirGatewayPort {
  /** The id of the one Encounter of the session (created now, or found). */
  ensureEncounter(request: EncounterRequest): Promise<string>;
  /** The id of the one DocumentReference holding an accepted summary. */
  ensureDocumentReference(request: ChartDocumentRequest): Promise<string>;
}

/** An OpenAI-compatible gateway (speech to text, then a structured SOAP draft). Throws on any failure. */
export interface AiGatewayPort {
  transcribe(audio: { data: Uint8Array; contentType: string }): Promise<string>;
  summarise(transcript: string): Promise<SoapDraft>;
}

/** Recognises a file by its bytes (never by its declared type or name). */
export interface FileTypeDetector {
  /** The MIME type the content really has, or null when unrecognised. */
  detect(data: Uint8Array): Promise<string | null>;
}

/** Ended sessions still waiting for their Encounter; rows are locked for the rest of the transaction. */
export interface PendingEncounterStore {
  /** Locks the oldest pending session no other worker holds, skipping `excludeIds`; null when none. */
  claimNext(excludeIds: readonly string[]): Promise<{ tenantId: string; sessionId: string } | null>;
  /** Locks this session (waiting for another holder) when it is still pending; false otherwise. */
  claim(tenantId: string, sessionId: string): Promise<boolean>;
}

export interface AiSummaryRepository {
  findBySession(tenantId: string, sessionId: string, options?: { lock?: boolean }): Promise<AiSummary | null>;
  findById(tenantId: string, id: string, options?: { lock?: boolean }): Promise<AiSummary | null>;
  /** The uploaded audio still waiting for transcription. */
  audio(tenantId: string, id: string): Promise<{ data: Uint8Array; contentType: string } | null>;
  insert(summary: AiSummary, audio?: { data: Uint8Array; contentType: string }): Promise<void>;
  /** Optimistic save with its recorded events; `audio` replaces the stored audio, null clears it. */
  save(summary: AiSummary, expectedVersion: number, audio?: { data: Uint8Array; contentType: string } | null): Promise<void>;
  /** Locks one summary due for drafting (its session ended) that no other worker holds. */
  claimDue(now: Date): Promise<AiSummary | null>;
  /** Locks one accepted summary not yet in the chart, due now, that no other worker holds. */
  claimChartPending(now: Date, excludeIds: readonly string[]): Promise<AiSummary | null>;
}

export interface NewAttachment {
  id: string;
  position: number;
  contentType: string;
  filename: string;
  data: Uint8Array;
}

export interface AsyncVisitRepository {
  insert(visit: AsyncVisit, attachments: NewAttachment[]): Promise<void>;
  findById(tenantId: string, id: string): Promise<AsyncVisit | null>;
  save(visit: AsyncVisit, expectedVersion: number): Promise<void>;
}

export interface QueuedAsyncVisit {
  visitId: string;
  providerId: string;
  enqueuedAt: Date;
}

/** Store-and-forward work waiting for a provider (spec: async-visit-queue adapter). */
export interface OfflineQueuePort {
  enqueue(tenantId: string, item: QueuedAsyncVisit): Promise<void>;
  /** Oldest first; `after` is the last item of the previous page. */
  pending(tenantId: string, filter: { providerId?: string; limit: number; after?: { enqueuedAt: Date; visitId: string } }): Promise<QueuedAsyncVisit[]>;
  remove(tenantId: string, visitId: string): Promise<void>;
}

export interface ClinicalTransactionContext extends TransactionContext {
  pendingEncounters: PendingEncounterStore;
  aiSummaries: AiSummaryRepository;
  asyncVisits: AsyncVisitRepository;
  offlineQueue: OfflineQueuePort;
}

export interface ClinicalUnitOfWork {
  run<T>(work: (tx: ClinicalTransactionContext) => Promise<T>): Promise<T>;
}

/** Read side of async visits: metadata and text, attachment bytes only on request. */
export interface AsyncVisitQueries {
  getMany(tenantId: string, ids: readonly string[]): Promise<AsyncVisitState[]>;
  attachment(tenantId: string, visitId: string, attachmentId: string): Promise<{ contentType: string; filename: string; data: Uint8Array } | null>;
}
