import { defaultTenantConfig } from "../../domain/tenant-config.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { retryOnConflict } from "../../platform/conflict-retry.js";
import { assertJoinStateUsable, assertUnexpired, readJoinToken } from "./join-access.js";
import type { AuditPort, Clock, JoinQueries, JoinTokenSignerPort, UnitOfWork } from "../../platform/ports.js";
import { loadSession } from "../../platform/command.js";

export const BANDWIDTH_FALLBACK_REASON = "measured bandwidth below the tenant's fallback threshold";

export interface ReportBandwidthDeps {
  uow: UnitOfWork;
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  audit: AuditPort;
  clock: Clock;
}

/**
 * Spec flow 4.3: a participant's client reports its measured bandwidth; below the tenant's
 * `fallbackBandwidthKbps` the visit moves to fallback (InitiateFallback) — once, however many
 * reports arrive, concurrent ones included. Answers whether the visit is now in fallback.
 *
 * Reports that change nothing are telemetry, not commands: they cost one read and write no audit
 * row (a client reports every few seconds). The report that starts the fallback is audited in the
 * transaction that records it.
 */
export class ReportBandwidth {
  constructor(private readonly deps: ReportBandwidthDeps) {}

  async execute(token: string | undefined, kbps: number): Promise<{ fallback: boolean }> {
    const { actor, claims } = readJoinToken(this.deps.signer, token);
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    return audited(this.deps.audit, { actor, action: "session.fallback", targets }, async () => {
      assertUnexpired(claims, this.deps.clock.now());
      const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
      assertJoinStateUsable(state);
      if (state.sessionStatus === "fallback") return { fallback: true };
      const threshold = (state.config ?? defaultTenantConfig(claims.tenantId)).fallbackBandwidthKbps;
      if (kbps >= threshold) return { fallback: false };
      // Concurrent low reports all get here; the optimistic lock lets one save the fallback and the
      // others, rerun on fresh state, find it already done.
      await retryOnConflict(() =>
        this.deps.uow.run(async (tx) => {
          const session = await loadSession(tx, claims.tenantId, claims.sessionId);
          if (session.status === "fallback") return;
          session.participant(claims.participantId); // still in this session (404 otherwise)
          const now = this.deps.clock.now();
          const loaded = session.version;
          session.initiateFallback(BANDWIDTH_FALLBACK_REASON, kbps, now);
          await tx.sessions.save(session, loaded);
          await tx.outbox.add([auditEvent({ actor, action: "session.fallback", outcome: "success", targets }, now)]);
        }),
      );
      return { fallback: true };
    });
  }
}
