import type { SessionState } from "../../domain/session.js";
import type { Clock, UnitOfWork } from "../../platform/ports.js";
import type { EncounterPort, SessionsTx } from "./ports.js";

export interface EncounterSagaDeps {
  uow: UnitOfWork<SessionsTx>;
  fhir: EncounterPort;
  clock: Clock;
  /** Failure notes for operators: ids and error class only. */
  onFailure?: (sessionId: string, err: unknown) => void;
}

const SAGA_ACTOR = (tenantId: string) => ({ kind: "system" as const, tenantId, name: "encounter-saga" });

/**
 * The FHIR Encounter saga (`POST /v1/sessions/{id}/end` → FHIR Encounter, conditional create on the session identifier). The session's row lock is held while FHIR is
 * called, so replicas never work on the same session at once; the conditional create makes even a
 * crash between FHIR's answer and our commit harmless: the retry finds the same Encounter.
 */
export class EncounterSaga {
  constructor(private readonly deps: EncounterSagaDeps) {}

  /** EndSession's post-commit step: never throws; the reconciler retries whatever failed here. */
  readonly afterEnded = async (ended: SessionState): Promise<SessionState | void> => {
    try {
      return (await this.deps.uow.run(async (tx) => {
        if (await tx.pendingEncounters.claim(ended.tenantId, ended.id)) return this.link(tx, ended.tenantId, ended.id);
        // A reconciler got there first: show what it stored.
        return (await tx.sessions.findById(ended.tenantId, ended.id))?.snapshot() ?? null;
      })) ?? undefined;
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
      let claimedId: string | null = null;
      try {
        const done = await this.deps.uow.run(async (tx) => {
          const claimed = await tx.pendingEncounters.claimNext(tried);
          if (!claimed) return false;
          claimedId = claimed.sessionId;
          tried.push(claimed.sessionId);
          await this.link(tx, claimed.tenantId, claimed.sessionId);
          return true;
        });
        if (!done) break;
        linked += 1;
        failuresInARow = 0;
      } catch (err) {
        if (claimedId === null) throw err;
        failed += 1;
        failuresInARow += 1;
        this.deps.onFailure?.(claimedId, err);
      }
    }
    return { linked, failed };
  }

  private async link(tx: SessionsTx, tenantId: string, sessionId: string): Promise<SessionState | null> {
    const session = await tx.sessions.findById(tenantId, sessionId);
    if (!session) return null;
    const s = session.snapshot();
    const encounterId = await this.deps.fhir.ensureEncounter({
      sessionId: s.id,
      patientId: s.patientId,
      providerId: s.providerId,
      start: s.startedAt ?? s.fallback?.initiatedAt ?? s.scheduledStart,
      end: s.endedAt ?? this.deps.clock.now(),
    });
    const now = this.deps.clock.now();
    const loaded = session.version;
    session.linkEncounter(encounterId, now);
    await tx.sessions.save(session, loaded);
    await tx.audit.record({ actor: SAGA_ACTOR(tenantId), action: "session.encounter_link", outcome: "success", targets: { sessionId, encounterId } });
    return session.snapshot();
  }
}
