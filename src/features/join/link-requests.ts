import { notFound } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { actorId, assertPermission, hasPermission } from "../../platform/authorization.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { LinkRequestQueries, LinkRequestTx } from "./ports.js";

/** The most open requests one answer lists (oldest first): a clinic works through them. */
export const LINK_REQUEST_PAGE = 100;

export interface LinkRequestView {
  id: string;
  sessionId: string;
  participantId: string;
  displayName: string;
  role: string;
  patientId: string;
  scheduledStart: string;
  requestedAt: string;
}

/**
 * The console's notice (issue 19): who asked for a new link, for which visit. Staff who may issue
 * join tokens read it, since answering it is issuing one. Audited like every read of patient data.
 */
export class ListLinkRequests {
  constructor(private readonly deps: { linkRequestQueries: LinkRequestQueries; audit: AuditPort }) {}

  execute(actor: Actor): Promise<{ items: LinkRequestView[] }> {
    return audited(
      this.deps.audit,
      { actor, action: "link_request.list", targets: {} },
      async () => {
        assertPermission(actor, "join_token.issue");
        const open = await this.deps.linkRequestQueries.open(actor.tenantId, LINK_REQUEST_PAGE);
        // Only what this person can act on: a clinician's link needs the clinician or admin role.
        const actionable = hasPermission(actor, "join_token.issue_clinician") ? open : open.filter((r) => r.role !== "clinician");
        return {
          items: actionable.map((r) => ({
            ...r,
            scheduledStart: r.scheduledStart.toISOString(),
            requestedAt: r.requestedAt.toISOString(),
          })),
        };
      },
      { auditSuccess: true },
    );
  }
}

/**
 * Staff close a request once they have sent a new link (or decided not to). Closing a closed one
 * changes nothing and is not an error (two clinicians at the same notice). Audited in its transaction.
 */
export class ResolveLinkRequest {
  constructor(private readonly deps: CommandDeps<LinkRequestTx>) {}

  async execute(actor: Actor, id: string): Promise<void> {
    await runCommand(this.deps, { actor, permission: "join_token.issue", action: "link_request.resolve", targets: { linkRequestId: id } }, async (tx, now) => {
      const outcome = await tx.linkRequests.resolve(actor.tenantId, id, actorId(actor), now);
      if (outcome === "missing") throw notFound("link request");
      return outcome;
    });
  }
}
