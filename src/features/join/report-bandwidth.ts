import { defaultTenantConfig } from "../../domain/tenant-config.js";
import { audited } from "../../platform/audit.js";
import { assertUnexpired, type JoinCredential } from "../../platform/join-credential.js";
import { assertJoinStateUsable } from "./join-access.js";
import type { JoinQueries } from "./ports.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";

export const BANDWIDTH_FALLBACK_REASON = "measured bandwidth below the tenant's fallback threshold";
/** Reports count from an hour before the start (the pre-visit check) to an hour after the end. */
export const BANDWIDTH_WINDOW_MS = 60 * 60 * 1000;
/** Whose connection decides the visit: the patient's side and the clinician's, not a guest's. */
const DECIDING_ROLES: ReadonlySet<string> = new Set(["patient", "caregiver", "clinician"]);

export interface ReportBandwidthDeps extends CommandDeps {
  joinQueries: JoinQueries;
}

/**
 * Spec flow 4.3: a participant's client reports its measured bandwidth; below the tenant's
 * `fallbackBandwidthKbps` the visit moves to fallback (InitiateFallback) — once, however many
 * reports arrive, concurrent ones included. Answers whether the visit is now in fallback.
 *
 * A report that counts (someone present, near or within the visit's time) is recorded on the
 * participant with the tenant's verdict, so the console's waiting room shows the pre-call result:
 * a command (`participant.precall`, audited, the version grows). Reports that do not count are
 * telemetry: one read, nothing written. The report that starts the fallback records both in one
 * transaction and is audited as `session.fallback` as well.
 */
export class ReportBandwidth {
  constructor(private readonly deps: ReportBandwidthDeps) {}

  async execute({ actor, claims }: JoinCredential, kbps: number, videoAnyway = false): Promise<{ fallback: boolean }> {
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    const verdict = await audited(this.deps.audit, { actor, action: "participant.precall", targets }, async () => {
      assertUnexpired(claims, this.deps.clock.now());
      const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
      assertJoinStateUsable(state);
      if (state.sessionStatus === "fallback") return "in_fallback";
      // Issue 11: a token alone must not wreck a visit. Only someone present (waiting or admitted),
      // near or within the visit's time, counts; only a deciding role moves the visit to fallback.
      const now = this.deps.clock.now().getTime();
      const present = state.participant.status === "waiting" || state.participant.status === "admitted";
      const inWindow =
        now >= state.scheduledStart.getTime() - BANDWIDTH_WINDOW_MS && now <= state.scheduledEnd.getTime() + BANDWIDTH_WINDOW_MS;
      if (!present || !inWindow) return "not_counted";
      const threshold = (state.config ?? defaultTenantConfig(claims.tenantId)).fallbackBandwidthKbps;
      return { below: kbps < threshold, decides: DECIDING_ROLES.has(state.participant.role) };
    });
    if (verdict === "in_fallback") return { fallback: true };
    if (verdict === "not_counted") return { fallback: false };
    // Concurrent low reports all get here; the optimistic lock lets one save the fallback and the
    // others, rerun on fresh state, find it already done and change nothing (so audit nothing).
    const { result } = await runSessionCommand(this.deps, {
      actor,
      action: "participant.precall",
      sessionId: claims.sessionId,
      targets: { participantId: claims.participantId },
      retryOnConflict: true,
      auditUnchanged: false,
      change: async (session, now, tx) => {
        if (session.status === "fallback") return true;
        session.recordPrecall(claims.participantId, kbps, verdict.below, now, videoAnyway);
        // The patient's explicit "try video anyway" keeps the visit on video; the clinician sees it.
        if (!verdict.below || !verdict.decides || videoAnyway) return false;
        session.initiateFallback(BANDWIDTH_FALLBACK_REASON, kbps, now);
        await tx.audit.record({ actor, action: "session.fallback", outcome: "success", targets });
        return true;
      },
    });
    return { fallback: result };
  }
}
