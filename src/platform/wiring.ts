import type { AuditPort, Clock, IdGenerator } from "./ports.js";

/** What the composition root hands every feature besides its own ports. */
export interface SharedDeps {
  audit: AuditPort;
  clock: Clock;
  ids: IdGenerator;
  /** Operator notes from background steps: ids and the error's class only, never PHI. */
  report: (message: string, context: Record<string, unknown>, err: unknown) => void;
}
