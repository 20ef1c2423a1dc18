/**
 * The ports every feature shares: time, ids, who is acting, audit, the outbox, the two shared
 * aggregates (sessions with their participants, tenant configs) and the unit of work. A feature
 * declares its own ports in its own `ports.ts`; adapters implement both; the composition root (src/composition/) wires them.
 */
import type { DomainEvent } from "../domain/events.js";
import type { VirtualSession } from "../domain/session.js";
import type { TenantConfig } from "../domain/tenant-config.js";
import type { AuditAction } from "./audit-actions.js";

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  uuid(): string;
}

export type StaffRole = "clinician" | "scheduler" | "admin" | "platform_admin";

/**
 * Who is acting. `anonymous` is a request refused at the edge before any identity was verified;
 * it is filed under a pseudo-tenant (see audit.ts), never under the tenant a token claimed.
 */
export type Actor =
  | { kind: "staff"; userId: string; tenantId: string; roles: readonly StaffRole[]; /** The JWT's `name` claim, when it has a usable one. */ name?: string }
  | { kind: "participant"; tenantId: string; sessionId: string; participantId: string }
  | { kind: "system"; tenantId: string; name: string }
  | { kind: "anonymous"; tenantId: string };

export interface AuditEntry {
  actor: Actor;
  action: AuditAction;
  outcome: "success" | "denied" | "failed";
  /** Ids only: never clinical content, names or free text. */
  targets: Record<string, string>;
  reason?: string;
}

/**
 * Durable audit: entries go to the outbox table and reach the AUDIT stream through the relay.
 * Inside a command the transaction's own AuditPort writes the entry with the change it records.
 */
export interface AuditPort {
  record(entry: AuditEntry): Promise<void>;
}

/** Appends events to the transactional outbox (same transaction as the change they record). */
export interface OutboxWriter {
  add(events: DomainEvent[]): Promise<void>;
}

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
  /**
   * In a transaction: it fails to commit (OPTIMISTIC_LOCK_CONFLICT) unless the tenant's config is
   * still at `version`, so a command may decide on a config it read earlier. Outside one: a check now.
   */
  assertVersion(tenantId: string, version: number): Promise<void>;
}

/** What every transaction offers; a feature's `ports.ts` adds the stores only it uses. */
export interface CommandTx {
  sessions: VirtualSessionRepository;
  tenantConfigs: TenantConfigRepository;
  outbox: OutboxWriter;
  /** Audit entries written in this transaction: they commit (or roll back) with the change. */
  audit: AuditPort;
}

/**
 * One database transaction: a throw rolls everything back, outbox and audit rows included. The
 * single implementation offers every feature's stores; each use case names the part it needs.
 * It belongs to one tenant (the authenticated principal's, the join token's, the event's): on
 * PostgreSQL, row-level security lets it see and write that tenant's rows only, whatever its
 * queries say.
 */
export interface UnitOfWork<Tx extends CommandTx = CommandTx> {
  run<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A transaction that sees every tenant: only for the workers' claims of the next due item
 * (Encounter reconciler, AI summary worker), which cannot know the tenant before they find the
 * row. Only the claim's own short transaction runs here; the work on the claimed item (calls
 * out, results, links) runs in its tenant's UnitOfWork (docs/security.md).
 */
export interface SystemUnitOfWork<Tx extends CommandTx = CommandTx> {
  runAcrossTenants<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Wakes whoever watches a session (the patient's stream, the staff participant feed): called
 * after a change to it commits.
 */
export interface SessionChanges {
  /** `onChange` runs after each committed change of that session; returns the unsubscribe. */
  subscribe(tenantId: string, sessionId: string, onChange: () => void): () => void;
}
