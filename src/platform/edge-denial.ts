import type { DomainEvent } from "../domain/events.js";

/**
 * Requests refused at the HTTP edge before any use case ran (no or unverifiable bearer token) are
 * filed under this pseudo-tenant: an untrusted token's `tenant_id` must not decide whose audit
 * trail an attacker writes into. What the token claimed is kept beside it, marked as unverified.
 */
export const UNAUTHENTICATED_TENANT = "_unauthenticated";

export interface EdgeDenial {
  reason: "UNAUTHENTICATED";
  method: string;
  /** The route pattern (e.g. `/v1/sessions/:id`), never the query string. */
  route: string;
  /** Identifiers read from an unverified token, when it could be decoded; not trustworthy. */
  claimedTenantId?: string;
  claimedSubject?: string;
}

/** The audit record (`audit.virtualcare.auth.authenticate`) of a refused request. */
export function edgeDenialEvent(denial: EdgeDenial, now: Date): DomainEvent {
  const targets: Record<string, string> = { route: `${denial.method} ${denial.route}` };
  if (denial.claimedTenantId) targets.claimedTenantId = denial.claimedTenantId;
  if (denial.claimedSubject) targets.claimedSubject = denial.claimedSubject;
  return {
    type: "audit.virtualcare.auth.authenticate",
    tenantId: UNAUTHENTICATED_TENANT,
    aggregateType: "audit",
    aggregateId: UNAUTHENTICATED_TENANT,
    data: {
      actor: { kind: "anonymous", id: null },
      tenantId: UNAUTHENTICATED_TENANT,
      action: "auth.authenticate",
      targets,
      outcome: "denied",
      reason: denial.reason,
      time: now.toISOString(),
    },
  };
}
