import type { SessionState } from "../../domain/session.js";
import type { Clock, SystemUnitOfWork, UnitOfWork } from "../../platform/ports.js";
import type { EncounterPort, SessionsTx } from "./ports.js";

export interface EncounterSagaDeps {
  uow: UnitOfWork<SessionsTx>;
  /** The reconciler's claim of the next pending session, of whichever tenant. */
  system: SystemUnitOfWork<SessionsTx>;
  fhir: EncounterPort;
  clock: Clock;
  /** Failure notes for operators: ids and error class only. */
  onFailure?: (sessionId: string, err: unknown) => void;
}

const SAGA_ACTOR = (tenantId: string) => ({ kind: "system" as const, tenantId, name: "encounter-saga" });

/** Longer than one FHIR call may take (the gateway gives up after 5 s): a live holder never loses it. */
export const ENCOUNTER_LEASE_MS = 30_000;

/**
 * The FHIR Encounter saga (`POST /v1/sessions/{id}/end` → FHIR Encounter, conditional create on
 * the session identifier). No database transaction is open while FHIR answers: a short one takes a
 * lease on the session, FHIR is called, another short one links the Encounter. The lease keeps a
 * second replica from calling FHIR for the same session meanwhile; the conditional create makes
 * even a crash between FHIR's answer and the link harmless: the retry finds the same Encounter.
 */
export class EncounterSaga {
  constructor(private readonly deps: EncounterSagaDeps) {}

  /** EndSession's post-commit step: never throws; the reconciler retries whatever failed here. */
  readonly afterEnded = async (ended: SessionState): Promise<SessionState | void> => {
    try {
      const leased = await this.deps.uow.run(ended.tenantId, (tx) => tx.pendingEncounters.lease(ended.tenantId, ended.id, ...this.leaseWindow()));
      // Someone else holds it (a reconciler): show what is stored; it links when FHIR answers.
      if (!leased) return (await this.deps.uow.run(ended.tenantId, (tx) => tx.sessions.findById(ended.tenantId, ended.id)))?.snapshot();
      return (await this.createAndLink(ended)) ?? undefined;
    } catch (err) {
      this.deps.onFailure?.(ended.id, err);
      return undefined;
    }
  };

  /**
   * One reconciler pass: links pending sessions one at a time, oldest first. Stops after three
   * failures in a row (FHIR is down: the next pass tries again) and never retries a session twice
   * in one pass, so one session FHIR keeps refusing cannot starve the others.
   */
  async reconcile(maxSessions = 50): Promise<{ linked: number; failed: number }> {
    const tried: string[] = [];
    let linked = 0;
    let failed = 0;
    let failuresInARow = 0;
    while (tried.length < maxSessions && failuresInARow < 3) {
      const session = await this.deps.system.runAcrossTenants(async (tx) => {
        const leased = await tx.pendingEncounters.leaseNext(tried, ...this.leaseWindow());
        if (!leased) return null;
        tried.push(leased.sessionId);
        return (await tx.sessions.findById(leased.tenantId, leased.sessionId))?.snapshot() ?? null;
      });
      if (!session) break;
      try {
        await this.createAndLink(session);
        linked += 1;
        failuresInARow = 0;
      } catch (err) {
        failed += 1;
        failuresInARow += 1;
        this.deps.onFailure?.(session.id, err);
      }
    }
    return { linked, failed };
  }

  /** Holding the lease: FHIR first (no transaction open), then the link in a short transaction. */
  private async createAndLink(s: SessionState): Promise<SessionState | null> {
    let encounterId: string;
    try {
      encounterId = await this.deps.fhir.ensureEncounter({
        sessionId: s.id,
        patientId: s.patientId,
        providerId: s.providerId,
        start: s.startedAt ?? s.fallback?.initiatedAt ?? s.scheduledStart,
        end: s.endedAt ?? this.deps.clock.now(),
      });
    } catch (err) {
      // Given back at once, so the next reconciler pass need not wait for the lease to run out.
      await this.deps.uow.run(s.tenantId, (tx) => tx.pendingEncounters.release(s.tenantId, s.id)).catch(() => undefined);
      throw err;
    }
    return this.deps.uow.run(s.tenantId, (tx) => this.link(tx, s.tenantId, s.id, encounterId));
  }

  private async link(tx: SessionsTx, tenantId: string, sessionId: string, encounterId: string): Promise<SessionState | null> {
    const session = await tx.sessions.findById(tenantId, sessionId);
    if (!session) return null;
    // Linked meanwhile (by the holder of an expired lease): the same Encounter, nothing to do.
    if (session.snapshot().encounterId) return session.snapshot();
    const now = this.deps.clock.now();
    const loaded = session.version;
    session.linkEncounter(encounterId, now);
    await tx.sessions.save(session, loaded);
    await tx.audit.record({ actor: SAGA_ACTOR(tenantId), action: "session.encounter_link", outcome: "success", targets: { sessionId, encounterId } });
    return session.snapshot();
  }

  private leaseWindow(): [Date, Date] {
    const now = this.deps.clock.now();
    return [now, new Date(now.getTime() + ENCOUNTER_LEASE_MS)];
  }
}
