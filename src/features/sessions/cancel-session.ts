import { sessionView, type SessionView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";

/** Spec: CancelSession — FSM cancel with a reason; the event tells consumers to notify participants. */
export class CancelSession {
  constructor(private readonly deps: CommandDeps) {}

  async execute(actor: Actor, sessionId: string, reason: string, expectedVersion?: number): Promise<SessionView> {
    const { session } = await runSessionCommand(this.deps, {
      actor,
      permission: "session.cancel",
      action: "session.cancel",
      sessionId,
      expectedVersion,
      change: (s, now) => s.cancel(reason, now),
    });
    return sessionView(session.snapshot());
  }
}
