import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { WaitingBoard, WaitingBoardHub } from "./waiting-board-hub.js";

/**
 * Today's list, live: who is waiting in which visit of the actor's tenant. Opening the watch is
 * the audited read of patient data (`session.waiting_board.watch`, like `session.list`); the
 * pushes that follow are that same read kept current, shared by every open list of the tenant,
 * so they are not audited one by one (docs/decisions.md).
 */
export class WatchWaitingBoard {
  constructor(private readonly deps: { hub: WaitingBoardHub; audit: AuditPort }) {}

  /** Checks the role and returns how to subscribe: the caller opens its stream in between. */
  open(actor: Actor): Promise<(listener: (board: WaitingBoard) => void) => () => void> {
    return audited(
      this.deps.audit,
      { actor, action: "session.waiting_board.watch", targets: {} },
      async () => {
        assertPermission(actor, "session.read");
        return (listener: (board: WaitingBoard) => void) => this.deps.hub.watch(actor.tenantId, listener);
      },
      { auditSuccess: true },
    );
  }
}
