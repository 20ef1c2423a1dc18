import { sessionView, type SessionView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";

export interface FallbackCommand {
  reason: string;
  measuredKbps?: number | null;
}

/** Spec flow 4.3: move the visit to async messaging and announce it. */
export class InitiateFallback {
  constructor(private readonly deps: CommandDeps) {}

  async execute(actor: Actor, sessionId: string, command: FallbackCommand, expectedVersion?: number): Promise<SessionView> {
    const { session } = await runSessionCommand(this.deps, {
      actor,
      permission: "session.fallback",
      action: "session.fallback",
      sessionId,
      expectedVersion,
      change: (s, now) => s.initiateFallback(command.reason, command.measuredKbps ?? null, now),
    });
    return sessionView(session.snapshot());
  }
}
