import type { SessionState } from "../../domain/session.js";
import { sessionView, type SessionView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";

/**
 * Work that follows a committed end (the FHIR Encounter saga). It runs after the commit and must
 * not throw: whatever it fails to do, a reconciler finds from the stored state and retries. A step
 * that changed the session returns its new state, so the caller sees it (e.g. the encounterId).
 */
export type AfterSessionEnded = (session: SessionState) => Promise<SessionState | void>;

/** Spec flow 4.2: end the visit; `session.ended` and the billing event go out through the outbox. */
export class EndSession {
  constructor(
    private readonly deps: CommandDeps,
    private readonly afterEnded: AfterSessionEnded[] = [],
  ) {}

  async execute(actor: Actor, sessionId: string, expectedVersion?: number): Promise<SessionView> {
    const { session } = await runSessionCommand(this.deps, {
      actor,
      permission: "session.end",
      action: "session.end",
      sessionId,
      expectedVersion,
      change: (s, now) => s.end(now),
    });
    let state = session.snapshot();
    for (const step of this.afterEnded) state = (await step(state)) ?? state;
    return sessionView(state);
  }
}
