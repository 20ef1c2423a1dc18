import { DomainError, notFound } from "../domain/errors.js";
import type { VirtualSession } from "../domain/session.js";
import { auditEvent, audited } from "./audit.js";
import { assertPermission, type Permission } from "./authorization.js";
import type { Actor, AuditPort, Clock, TransactionContext, UnitOfWork } from "./ports.js";

export interface SessionCommandDeps {
  uow: UnitOfWork;
  audit: AuditPort;
  clock: Clock;
}

export interface SessionCommandInput<T> {
  actor: Actor;
  permission: Permission;
  /** Audit action name, e.g. `session.end`. */
  action: string;
  sessionId: string;
  /** The version from `If-Match`, when the caller sent one. */
  expectedVersion?: number;
  targets?: Record<string, string>;
  change: (session: VirtualSession, now: Date, tx: TransactionContext) => Promise<T> | T;
}

/**
 * The shape every session command shares: check the role, load the tenant's session, honour
 * If-Match, apply the change, save it with its events under the optimistic lock, audit it.
 */
export async function runSessionCommand<T>(
  deps: SessionCommandDeps,
  input: SessionCommandInput<T>,
): Promise<{ session: VirtualSession; result: T }> {
  const targets = { sessionId: input.sessionId, ...input.targets };
  return audited(deps.audit, { actor: input.actor, action: input.action, targets }, () =>
    deps.uow.run(async (tx) => {
      assertPermission(input.actor, input.permission);
      const session = await loadSession(tx, input.actor.tenantId, input.sessionId);
      assertVersion(session, input.expectedVersion);
      const now = deps.clock.now();
      const loadedVersion = session.version;
      const result = await input.change(session, now, tx);
      if (session.hasChanges) await tx.sessions.save(session, loadedVersion);
      await tx.outbox.add([auditEvent({ actor: input.actor, action: input.action, outcome: "success", targets }, now)]);
      return { session, result };
    }),
  );
}

export async function loadSession(tx: TransactionContext, tenantId: string, sessionId: string): Promise<VirtualSession> {
  const session = await tx.sessions.findById(tenantId, sessionId);
  if (!session) throw notFound("session");
  return session;
}

export function assertVersion(session: VirtualSession, expected: number | undefined): void {
  if (expected !== undefined && expected !== session.version) {
    throw new DomainError("OPTIMISTIC_LOCK_CONFLICT", "the session was changed since you read it", {
      currentVersion: session.version,
    });
  }
}
