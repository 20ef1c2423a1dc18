import { notFound, versionConflict, type Versioned } from "../domain/errors.js";
import type { VirtualSession } from "../domain/session.js";
import { audited } from "./audit.js";
import { assertPermission, type Permission } from "./authorization.js";
import { retryOnConflict } from "./conflict-retry.js";
import type { Actor, AuditPort, Clock, CommandTx, UnitOfWork } from "./ports.js";
import type { AuditAction } from "./audit-actions.js";

export interface CommandDeps<Tx extends CommandTx = CommandTx> {
  uow: UnitOfWork<Tx>;
  audit: AuditPort;
  clock: Clock;
}

export interface CommandHead {
  actor: Actor;
  /** Omitted where a verified join token is the permission (the participant's own commands). */
  permission?: Permission;
  /** Audit action name, e.g. `session.end`. */
  action: AuditAction;
  targets: Record<string, string>;
  /** Checks that need no database (e.g. token expiry), run after the role check. */
  precheck?: () => void;
  /**
   * Rerun the whole transaction when a concurrent change won the optimistic lock. Only for
   * idempotent commands of callers with no If-Match to honour (a patient's browser).
   */
  retryOnConflict?: boolean;
}

/**
 * The one shape of a command: role check → transaction → the work → its success audit entry in the
 * same transaction (so it commits with the change, or not at all). A refusal or failure is audited
 * outside the rolled-back transaction by `audited`. `auditTargets` adds ids known only inside.
 */
export function runCommand<Tx extends CommandTx, R>(
  deps: CommandDeps<Tx>,
  head: CommandHead,
  work: (tx: Tx, now: Date) => Promise<R>,
  options: { auditTargets?: (result: R) => Record<string, string>; audit?: (result: R) => boolean } = {},
): Promise<R> {
  return audited(deps.audit, { actor: head.actor, action: head.action, targets: head.targets }, () => {
    if (head.permission) assertPermission(head.actor, head.permission);
    head.precheck?.();
    const once = () =>
      deps.uow.run(head.actor.tenantId, async (tx) => {
        const now = deps.clock.now();
        const result = await work(tx, now);
        if (options.audit?.(result) ?? true) {
          const targets = { ...head.targets, ...options.auditTargets?.(result) };
          await tx.audit.record({ actor: head.actor, action: head.action, outcome: "success", targets });
        }
        return result;
      });
    return head.retryOnConflict ? retryOnConflict(once) : once();
  });
}

/** An aggregate as the template sees it; `hasChanges` false means there is nothing to save. */
interface VersionedAggregate {
  readonly version: number;
  readonly hasChanges?: boolean;
}

export interface AggregateCommand<Tx extends CommandTx, A extends VersionedAggregate, R> extends CommandHead {
  /** What the aggregate is called in a version conflict's message. */
  aggregate: Versioned;
  /** The version from `If-Match`, when the caller sent one. */
  expectedVersion?: number;
  load(tx: Tx): Promise<A>;
  change(aggregate: A, now: Date, tx: Tx): R | Promise<R>;
  save(tx: Tx, aggregate: A, loadedVersion: number): Promise<void>;
  /** Ids known once loaded (e.g. the summary's id), added to the success audit entry. */
  auditTargets?(aggregate: A): Record<string, string>;
  /** False: a command that changed nothing writes no audit entry (a repeated, idempotent report). */
  auditUnchanged?: boolean;
}

/**
 * load → honour If-Match → change → save under the optimistic lock (the aggregate's recorded
 * events go to the outbox with it) → audit, all in one transaction.
 */
export async function runAggregateCommand<Tx extends CommandTx, A extends VersionedAggregate, R>(
  deps: CommandDeps<Tx>,
  command: AggregateCommand<Tx, A, R>,
): Promise<{ aggregate: A; result: R }> {
  return runCommand(
    deps,
    command,
    async (tx, now) => {
      const aggregate = await command.load(tx);
      assertVersion(command.aggregate, aggregate.version, command.expectedVersion);
      const loaded = aggregate.version;
      const result = await command.change(aggregate, now, tx);
      const changed = aggregate.hasChanges !== false;
      if (changed) await command.save(tx, aggregate, loaded);
      return { aggregate, result, changed };
    },
    {
      auditTargets: ({ aggregate }) => command.auditTargets?.(aggregate) ?? {},
      audit: ({ changed }) => changed || command.auditUnchanged !== false,
    },
  );
}

export interface SessionCommand<Tx extends CommandTx, R> extends Omit<AggregateCommand<Tx, VirtualSession, R>, "load" | "save" | "targets" | "aggregate"> {
  sessionId: string;
  targets?: Record<string, string>;
}

/** A command on one session of the actor's tenant (404 when the tenant has no such session). */
export async function runSessionCommand<Tx extends CommandTx, R>(
  deps: CommandDeps<Tx>,
  command: SessionCommand<Tx, R>,
): Promise<{ session: VirtualSession; result: R }> {
  const { aggregate, result } = await runAggregateCommand(deps, {
    ...command,
    aggregate: "session",
    targets: { sessionId: command.sessionId, ...command.targets },
    load: (tx) => loadSession(tx, command.actor.tenantId, command.sessionId),
    save: (tx, session, loaded) => tx.sessions.save(session, loaded),
  });
  return { session: aggregate, result };
}

export async function loadSession(tx: CommandTx, tenantId: string, sessionId: string): Promise<VirtualSession> {
  const session = await tx.sessions.findById(tenantId, sessionId);
  if (!session) throw notFound("session");
  return session;
}

export function assertVersion(what: Versioned, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) throw versionConflict(what, current, "stale");
}
