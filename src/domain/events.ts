/**
 * Versioned event types published from the outbox (catalog: docs/asyncapi.yaml). `data` never carries secrets;
 * audit events never carry clinical content.
 */
export const EventTypes = {
  sessionCreated: "virtualcare.session.created.v1",
  sessionCancelled: "virtualcare.session.cancelled.v1",
  sessionEnded: "virtualcare.session.ended.v1",
  billingSessionCompleted: "virtualcare.billing.session_completed.v1",
  sessionFallbackInitiated: "virtualcare.session.fallback_initiated.v1",
  participantAdmitted: "virtualcare.participant.admitted.v1",
  participantRemoved: "virtualcare.participant.removed.v1",
  participantLinkRequested: "virtualcare.participant.link_requested.v1",
  tenantConfigUpdated: "virtualcare.tenant_config.updated.v1",
  asyncVisitSubmitted: "virtualcare.async_visit.submitted.v1",
  asyncVisitReplied: "virtualcare.async_visit.replied.v1",
  aiSummaryAccepted: "virtualcare.ai_summary.accepted.v1",
  webhookEndpointDisabled: "virtualcare.webhook_endpoint.disabled.v1",
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/** A fact recorded by an aggregate; the repository writes it to the outbox in the same transaction. */
export interface DomainEvent {
  type: EventType | `audit.virtualcare.${string}`;
  tenantId: string;
  aggregateType: "session" | "tenant_config" | "async_visit" | "ai_summary" | "webhook_endpoint" | "audit";
  aggregateId: string;
  data: Record<string, unknown>;
  /** Set by the repository when the event is stored. */
  id?: string;
  time?: Date;
}
