import { defaultTenantConfig } from "../../domain/tenant-config.js";
import { audited } from "../../platform/audit.js";
import { assertJoinStateUsable, assertUnexpired, readJoinToken } from "./join-access.js";
import type { JoinQueries, JoinTokenSignerPort } from "./ports.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";

export const BANDWIDTH_FALLBACK_REASON = "measured bandwidth below the tenant's fallback threshold";
/** Reports count from an hour before the start (the pre-visit check) to an hour after the end. */
export const BANDWIDTH_WINDOW_MS = 60 * 60 * 1000;
/** Whose connection decides the visit: the patient's side and the clinician's, not a guest's. */
const DECIDING_ROLES: ReadonlySet<string> = new Set(["patient", "caregiver", "clinician"]);

export interface ReportBandwidthDeps extends CommandDeps {
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
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
    const verdict = await audited(this.deps.audit, { actor, action: "session.fallback", targets }, async () => {
      assertUnexpired(claims, this.deps.clock.now());
      const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
      assertJoinStateUsable(state);
      if (state.sessionStatus === "fallback") return "in_fallback";
      // Issue 11: a token alone must not wreck a visit. Only someone present (waiting or admitted)
      // in a deciding role, near or within the visit's time, moves it to fallback; anything else
      // is telemetry that changes nothing.
      const now = this.deps.clock.now().getTime();
      const present = state.participant.status === "waiting" || state.participant.status === "admitted";
      const inWindow =
        now >= state.scheduledStart.getTime() - BANDWIDTH_WINDOW_MS && now <= state.scheduledEnd.getTime() + BANDWIDTH_WINDOW_MS;
      if (!present || !inWindow || !DECIDING_ROLES.has(state.participant.role)) return "enough";
      const threshold = (state.config ?? defaultTenantConfig(claims.tenantId)).fallbackBandwidthKbps;
      return kbps < threshold ? "below_threshold" : "enough";
    });
    if (verdict !== "below_threshold") return { fallback: verdict === "in_fallback" };
    // Concurrent low reports all get here; the optimistic lock lets one save the fallback and the
    // others, rerun on fresh state, find it already done (and audit nothing: they changed nothing).
    await runSessionCommand(this.deps, {
      actor,
      action: "session.fallback",
      sessionId: claims.sessionId,
      targets: { participantId: claims.participantId },
      retryOnConflict: true,
      auditUnchanged: false,
      change: (session, now) => {
        if (session.status === "fallback") return;
        session.participant(claims.participantId); // still in this session (404 otherwise)
        session.initiateFallback(BANDWIDTH_FALLBACK_REASON, kbps, now);
      },
    });
    return { fallback: true };
  }
}
