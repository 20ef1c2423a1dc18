import { createHash } from "node:crypto";
import { DomainError, validationFailed } from "../../domain/errors.js";
import type { NewParticipant } from "../../domain/participant.js";
import { MAX_VISIT_MS, VirtualSession, type VideoRoom } from "../../domain/session.js";
import type { TenantConfig, VideoBackend } from "../../domain/tenant-config.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort, Clock, IdGenerator, UnitOfWork } from "../../platform/ports.js";
import type { RememberedTenantConfigs } from "../../platform/remembered-tenant-configs.js";
import type { BackendHealth, ConsentCheckPort, RoomProvisioner, SessionsTx, VideoProviderHealthPort } from "./ports.js";
import { sessionView, type SessionView } from "../../platform/session-view.js";
import { assertLicensed } from "../../platform/tenant-access.js";
import { isStorableInstant } from "../../domain/instant.js";

export interface CreateSessionCommand {
  patientId: string;
  providerId: string;
  scheduledStart: Date;
  scheduledEnd?: Date;
  appointmentId?: string;
  participants?: NewParticipant[];
}

export interface CreateSessionResult {
  session: SessionView;
  /** True when an earlier request with the same Idempotency-Key already created it. */
  replayed: boolean;
}

export interface CreateSessionDeps {
  uow: UnitOfWork<SessionsTx>;
  /** Reads remember the config, so the next create of the tenant can decide without reading it. */
  tenantConfigs: RememberedTenantConfigs;
  consent: ConsentCheckPort;
  videoHealth: VideoProviderHealthPort;
  video: RoomProvisioner;
  audit: AuditPort;
  clock: Clock;
  ids: IdGenerator;
}

/** A visit without a scheduled end is booked for this long (contract is silent; see docs/decisions.md). */
export const DEFAULT_VISIT_MINUTES = 30;

/** Attempts of one create while the tenant's config keeps changing under it (each change is a save by an admin). */
const MAX_ATTEMPTS = 5;

/** Thrown inside the transaction when a concurrent request stored the same key first. */
class IdempotencyRace extends Error {}

/**
 * Spec flow 4.1: license → consent → backend health → room → session, participants and
 * `session.created` in one transaction. Nothing is written when any check refuses.
 */
export class CreateVirtualSession {
  constructor(private readonly deps: CreateSessionDeps) {}

  async execute(actor: Actor, command: CreateSessionCommand, idempotencyKey?: string): Promise<CreateSessionResult> {
    return audited(this.deps.audit, { actor, action: "session.create", targets: {} }, async () => {
      assertPermission(actor, "session.create");
      // The provider is added for everyone; any further clinician (a moderator) needs the role.
      if (participantsFor(command, actor).slice(2).some((p) => p.role === "clinician")) assertPermission(actor, "participant.add_clinician");
      const requestHash = idempotencyKey ? hashCommand(command) : "";
      if (idempotencyKey) {
        const replay = await this.replay(actor.tenantId, idempotencyKey, requestHash);
        if (replay) {
          await this.deps.audit.record({ actor, action: "session.create", outcome: "success", targets: { sessionId: replay.session.id, replayed: "true" } });
          return replay;
        }
      }
      return this.decideAndCreate(actor, command, idempotencyKey, requestHash);
    });
  }

  /**
   * The config this process read last, if any, decides; the transaction checks at commit that it
   * is still the stored one (docs/decisions.md). A decision on a remembered config that failed is
   * taken again on a fresh read when the config has changed meanwhile; a change that lands during
   * an attempt is a conflict, and the create is decided again on the new config.
   */
  private async decideAndCreate(actor: Actor, command: CreateSessionCommand, idempotencyKey: string | undefined, requestHash: string): Promise<CreateSessionResult> {
    let config: TenantConfig | null | undefined = this.deps.tenantConfigs.remembered(actor.tenantId);
    let fromMemory = config !== undefined;
    for (let attempt = 1; ; attempt++) {
      if (config === undefined) config = await this.deps.tenantConfigs.get(actor.tenantId);
      try {
        return await this.createWith(config, actor, command, idempotencyKey, requestHash);
      } catch (err) {
        if (!(err instanceof DomainError) || attempt >= MAX_ATTEMPTS) throw err;
        const conflict = err.code === "OPTIMISTIC_LOCK_CONFLICT";
        if (!conflict && !fromMemory) throw err;
        const fresh = await this.deps.tenantConfigs.get(actor.tenantId);
        if (!conflict && fresh?.version === config?.version) throw err;
        config = fresh;
        fromMemory = false;
      }
    }
  }

  /** License, consent and backend health decided on `stored`; the transaction commits only while it is the stored one. */
  private async createWith(
    stored: TenantConfig | null,
    actor: Actor,
    command: CreateSessionCommand,
    idempotencyKey: string | undefined,
    requestHash: string,
  ): Promise<CreateSessionResult> {
    const config = assertLicensed(stored);
    await this.assertConsent(config, command.patientId);
    const window = scheduleWindow(command);
    const healthy = await this.healthyBackends(config);
    try {
      const session = await this.deps.uow.run(actor.tenantId, async (tx) => {
        await tx.tenantConfigs.assertVersion(actor.tenantId, config.version);
        const created = await this.schedule(tx, actor, config, healthy, command, window);
        if (idempotencyKey) {
          const stored = await tx.idempotency.save({
            tenantId: actor.tenantId,
            key: idempotencyKey,
            requestHash,
            statusCode: 201,
            body: created,
          });
          if (!stored) throw new IdempotencyRace();
        }
        return created;
      });
      return { session, replayed: false };
    } catch (err) {
      // A concurrent twin with the same key may also surface as the appointment's unique index.
      const raced = err instanceof IdempotencyRace || (err instanceof DomainError && err.code === "APPOINTMENT_ALREADY_LINKED");
      if (raced && idempotencyKey) {
        const replay = await this.replay(actor.tenantId, idempotencyKey, requestHash);
        if (replay) return replay;
      }
      throw err;
    }
  }

  private async replay(tenantId: string, key: string, requestHash: string): Promise<CreateSessionResult | null> {
    const previous = await this.deps.uow.run(tenantId, (tx) => tx.idempotency.find(tenantId, key));
    if (!previous) return null;
    if (previous.requestHash !== requestHash) {
      throw new DomainError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used for a different request");
    }
    return { session: previous.body as SessionView, replayed: true };
  }

  private async assertConsent(config: TenantConfig, patientId: string): Promise<void> {
    if (!config.consentRequired) return;
    let onFile: boolean;
    try {
      onFile = await this.deps.consent.hasActiveConsent(config.tenantId, patientId);
    } catch {
      // Fail closed: without an answer from the consent source no visit is created.
      throw new DomainError("CONSENT_CHECK_UNAVAILABLE", "the consent record could not be checked; try again later");
    }
    if (!onFile) throw new DomainError("CONSENT_REQUIRED", "no active consent for virtual care is on file for this patient");
  }

  private async healthyBackends(config: TenantConfig): Promise<VideoBackend[]> {
    const results: BackendHealth[] = await Promise.all(config.videoBackends.map((b) => this.deps.videoHealth.check(b)));
    const healthy = config.videoBackends.filter((_, i) => results[i]?.healthy);
    if (healthy.length === 0) {
      throw new DomainError("VIDEO_PROVIDER_UNAVAILABLE", "no video backend of this tenant is healthy", {
        diagnostic: { backends: results },
      });
    }
    return healthy;
  }

  private async schedule(
    tx: SessionsTx,
    actor: Actor,
    config: TenantConfig,
    healthy: VideoBackend[],
    command: CreateSessionCommand,
    window: { start: Date; end: Date },
  ): Promise<SessionView> {
    if (command.appointmentId) {
      const existing = await tx.sessions.findByAppointment(actor.tenantId, command.appointmentId);
      if (existing) {
        throw new DomainError("APPOINTMENT_ALREADY_LINKED", "this appointment already has a virtual session", {
          sessionId: existing.id,
        });
      }
    }
    const backend = await this.pickBackend(tx, actor.tenantId, healthy, window);
    const room = await this.deps.video.createRoom(backend);
    const video: VideoRoom = { backend: backend.name, provider: backend.provider, domain: backend.domain, roomName: room.roomName };
    const now = this.deps.clock.now();
    const session = VirtualSession.schedule({
      id: this.deps.ids.uuid(),
      tenantId: actor.tenantId,
      patientId: command.patientId,
      providerId: command.providerId,
      appointmentId: command.appointmentId ?? null,
      scheduledStart: window.start,
      scheduledEnd: window.end,
      video,
      participants: participantsFor(command, actor).map((p) => ({ ...p, id: this.deps.ids.uuid() })),
      maxParticipants: config.maxParticipants,
      now,
    });
    await tx.sessions.insert(session);
    await tx.audit.record({ actor, action: "session.create", outcome: "success", targets: { sessionId: session.id } });
    return sessionView(session.snapshot());
  }

  /** Primary first; a backend at its `maxConcurrentRooms` passes the visit to the next one. */
  private async pickBackend(
    tx: SessionsTx,
    tenantId: string,
    healthy: VideoBackend[],
    window: { start: Date; end: Date },
  ): Promise<VideoBackend> {
    const full: Array<{ backend: string; roomsInUse: number; maxConcurrentRooms: number }> = [];
    for (const backend of healthy) {
      if (backend.maxConcurrentRooms === null) return backend;
      await tx.sessions.lockBackend(tenantId, backend.name);
      const inUse = await tx.sessions.countRoomsInUse(tenantId, backend.name, window.start, window.end);
      if (inUse < backend.maxConcurrentRooms) return backend;
      full.push({ backend: backend.name, roomsInUse: inUse, maxConcurrentRooms: backend.maxConcurrentRooms });
    }
    throw new DomainError("PROVIDER_QUOTA_EXCEEDED", "every healthy video backend is at its room limit", {
      diagnostic: { backends: full },
    });
  }
}

function scheduleWindow(command: CreateSessionCommand): { start: Date; end: Date } {
  const start = command.scheduledStart;
  const end = command.scheduledEnd ?? new Date(start.getTime() + DEFAULT_VISIT_MINUTES * 60_000);
  // A default end (start + 30 min) can fall in year 10000.
  if (!isStorableInstant(end)) {
    throw validationFailed("scheduledEnd must be no later than 9999-12-31T23:59:59.999Z", [{ path: "/scheduledEnd", message: "is after year 9999" }]);
  }
  if (end.getTime() <= start.getTime()) {
    throw validationFailed("scheduledEnd must be after scheduledStart", [
      { path: "/scheduledEnd", message: "must be after scheduledStart" },
    ]);
  }
  if (end.getTime() - start.getTime() > MAX_VISIT_MS) {
    throw validationFailed("scheduledEnd must be at most 24 hours after scheduledStart", [
      { path: "/scheduledEnd", message: "must be at most 24 hours after scheduledStart" },
    ]);
  }
  return { start, end };
}

/**
 * The patient and the provider always take part. A listed participant with their role and id (or
 * no id) is taken as them, so its display name is kept and nobody appears twice. A clinician who
 * books their own visit is named as their sign-in names them (the staff JWT's `name`), which is
 * what the patient then sees in the video room.
 */
function participantsFor(command: CreateSessionCommand, actor: Actor): NewParticipant[] {
  const listed = [...(command.participants ?? [])];
  const claim = (role: NewParticipant["role"], externalId: string, fallbackName: string): NewParticipant => {
    const i = listed.findIndex((p) => p.role === role && (p.externalId == null || p.externalId === externalId));
    const found = i >= 0 ? listed.splice(i, 1)[0] : undefined;
    return { role, displayName: found?.displayName ?? fallbackName, externalId };
  };
  const patient = claim("patient", command.patientId, "Patient");
  const ownName = actor.kind === "staff" && actor.userId === command.providerId ? actor.name : undefined;
  const clinician = claim("clinician", command.providerId, ownName ?? "Clinician");
  return [patient, clinician, ...listed.map((p) => ({ ...p, externalId: p.externalId ?? null }))];
}

function hashCommand(command: CreateSessionCommand): string {
  return createHash("sha256").update(JSON.stringify(command)).digest("hex");
}
