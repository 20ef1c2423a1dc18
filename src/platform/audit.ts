import { isDomainError, type ErrorCode } from "../domain/errors.js";
import type { DomainEvent } from "../domain/events.js";
import { actorId } from "./authorization.js";
import type { AuditEntry, AuditPort } from "./ports.js";

/** Failures that mean "you may not" rather than "it did not work". */
const denialCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "FORBIDDEN",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "PARTICIPANT_REMOVED",
  "MODULE_NOT_LICENSED",
  "CONSENT_REQUIRED",
]);

/** The audit record as an outbox event: subject `audit.virtualcare.<action>`, ids only. */
export function auditEvent(entry: AuditEntry, now: Date): DomainEvent {
  return {
    type: `audit.virtualcare.${entry.action}`,
    tenantId: entry.actor.tenantId,
    aggregateType: "audit",
    aggregateId: entry.targets.sessionId ?? entry.actor.tenantId,
    data: {
      actor: { kind: entry.actor.kind, id: actorId(entry.actor) },
      tenantId: entry.actor.tenantId,
      action: entry.action,
      targets: entry.targets,
      outcome: entry.outcome,
      ...(entry.reason ? { reason: entry.reason } : {}),
      time: now.toISOString(),
    },
  };
}

/**
 * Runs a use case and audits a refusal or failure (a success of a command is audited inside its
 * own transaction; `auditSuccess` is for reads, which have no transaction of their own).
 */
export async function audited<T>(
  audit: AuditPort,
  entry: Omit<AuditEntry, "outcome" | "reason">,
  work: () => Promise<T>,
  options: { auditSuccess?: boolean } = {},
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    const code = isDomainError(err) ? err.code : "INTERNAL";
    await audit.record({ ...entry, outcome: denialCodes.has(code) ? "denied" : "failed", reason: code });
    throw err;
  }
  if (options.auditSuccess) await audit.record({ ...entry, outcome: "success" });
  return result;
}
