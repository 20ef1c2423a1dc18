import { EventTypes } from "../../domain/events.js";
import { isFinal } from "../../domain/session.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { IdGenerator } from "../../platform/ports.js";
import type { JoinCredential } from "../../platform/join-credential.js";
import type { JoinQueries, JoinState, LinkRequestTx } from "./ports.js";

export interface RequestNewLinkDeps extends CommandDeps<LinkRequestTx> {
  joinQueries: JoinQueries;
  ids: IdGenerator;
}

/**
 * "Ask for a new link" from the expired-link screen (issue 19). Any correctly signed token may ask,
 * expired or not (expiry is the usual reason to ask). The request is recorded, announced
 * (`participant.link_requested`, ids only) and audited in one transaction only while the link could
 * still be renewed: the participant exists, is not removed, and the visit is not over; and only
 * when no request of that participant is open yet. The caller is answered the same in every case,
 * so holding an old link tells nobody whether the visit is over, the patient removed, or the clinic
 * already asked: every case that records nothing is audited as a refusal with its reason instead.
 */
export class RequestNewLink {
  constructor(private readonly deps: RequestNewLinkDeps) {}

  async execute({ actor, claims }: JoinCredential): Promise<void> {
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    const refusal = whyNot(await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId));
    if (refusal) {
      await this.deps.audit.record({ actor, action: "link_request.create", outcome: "denied", targets, reason: refusal });
      return;
    }
    const id = this.deps.ids.uuid();
    const opened = await runCommand(
      this.deps,
      { actor, action: "link_request.create", targets },
      async (tx, now) => {
        const request = { id, tenantId: claims.tenantId, sessionId: claims.sessionId, participantId: claims.participantId, requestedAt: now };
        if (!(await tx.linkRequests.open(request))) return false;
        await tx.outbox.add([
          {
            type: EventTypes.participantLinkRequested,
            tenantId: claims.tenantId,
            aggregateType: "session",
            aggregateId: claims.sessionId,
            data: { linkRequestId: id, sessionId: claims.sessionId, participantId: claims.participantId, requestedAt: now.toISOString() },
          },
        ]);
        return true;
      },
      { audit: (opened) => opened, auditTargets: () => ({ linkRequestId: id }) },
    );
    if (!opened) await this.deps.audit.record({ actor, action: "link_request.create", outcome: "denied", targets, reason: "ALREADY_REQUESTED" });
  }
}

/** Why no new link can follow (an audit reason, never told to the caller); null when one can. */
function whyNot(state: JoinState | null): string | null {
  if (!state) return "NOT_FOUND";
  if (isFinal(state.sessionStatus)) return "INVALID_STATUS_TRANSITION";
  if (state.participant.status === "removed") return "PARTICIPANT_REMOVED";
  return null;
}
