import { isDomainError, type ErrorCode } from "../domain/errors.js";
import type { DomainEvent } from "../domain/events.js";
import { actorId } from "./authorization.js";
import { isDatabaseUnavailable } from "./database-failure.js";
import type { AuditEntry, AuditPort } from "./ports.js";
import { observed } from "./use-case-observer.js";

/**
 * Requests refused at the HTTP edge before any use case ran (no or unverifiable bearer token) are
 * filed under this pseudo-tenant: an untrusted token's `tenant_id` must not decide whose audit
 * trail an attacker writes into. What the token claimed is kept beside it, marked as unverified.
 */
export const UNAUTHENTICATED_TENANT = "_unauthenticated";

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

/**
 * Every audit record, whoever writes it (a command's transaction, a read, the HTTP edge), becomes
 * this outbox event: subject `audit.virtualcare.<action>`, ids only.
 */
export function auditEvent(entry: AuditEntry, now: Date): DomainEvent {
  return {
    type: `audit.virtualcare.${entry.action}`,
    tenantId: entry.actor.tenantId,
    aggregateType: "audit",
    aggregateId: entry.targets.sessionId ?? entry.actor.tenantId,
    data: {
      actor: { kind: entry.actor.kind, id: entry.actor.kind === "anonymous" ? null : actorId(entry.actor) },
      tenantId: entry.actor.tenantId,
      action: entry.action,
      targets: entry.targets,
      outcome: entry.outcome,
      ...(entry.reason ? { reason: entry.reason } : {}),
      time: now.toISOString(),
    },
  };
}

export interface EdgeDenial {
  /** UNAUTHENTICATED: no or a bad staff bearer; TOKEN_INVALID: a join token that does not verify. */
  reason: "UNAUTHENTICATED" | "TOKEN_INVALID";
  method: string;
  /** The route pattern (e.g. `/v1/sessions/:id`), never the query string. */
  route: string;
  /** Identifiers read from an unverified token, when it could be decoded; not trustworthy. */
  claimedTenantId?: string;
  claimedSubject?: string;
}

/** The audit entry (`auth.authenticate`, denied) of a request refused before any use case ran. */
export function edgeDenialEntry(denial: EdgeDenial): AuditEntry {
  const targets: Record<string, string> = { route: `${denial.method} ${denial.route}` };
  if (denial.claimedTenantId) targets.claimedTenantId = denial.claimedTenantId;
  if (denial.claimedSubject) targets.claimedSubject = denial.claimedSubject;
  return {
    actor: { kind: "anonymous", tenantId: UNAUTHENTICATED_TENANT },
    action: "auth.authenticate",
    outcome: "denied",
    targets,
    reason: denial.reason,
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
  // Every command passes here, named by its audit action: the use case's span when traced.
  return observed(entry.action, async () => {
    let result: T;
    try {
      result = await work();
    } catch (err) {
      const code = isDomainError(err) ? err.code : "INTERNAL";
      const recorded = audit.record({ ...entry, outcome: denialCodes.has(code) ? "denied" : "failed", reason: code });
      if (isDatabaseUnavailable(err)) {
        // The audit row needs the database that just failed: waiting for it would hold the answer
        // a second database deadline (issue 20, item 11). It is still written if the database
        // answers in time; the failure itself is in the log.
        recorded.catch(() => undefined);
        throw err;
      }
      await recorded;
      throw err;
    }
    if (options.auditSuccess) await audit.record({ ...entry, outcome: "success" });
    return result;
  });
}
