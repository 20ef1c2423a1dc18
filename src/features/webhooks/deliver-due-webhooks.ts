import { EventTypes } from "../../domain/events.js";
import { attemptNote, isDelivered, isGone, nextAttemptDelay, shouldDisable, type AttemptOutcome } from "../../domain/webhooks.js";
import type { Actor, Clock, SystemUnitOfWork, UnitOfWork } from "../../platform/ports.js";
import type { Delivery, EndpointState, SealedSecrets, WebhookSender, WebhooksTx } from "./ports.js";

export interface DeliverDeps {
  uow: UnitOfWork<WebhooksTx>;
  /** Only the claim of due deliveries runs across tenants. */
  system: SystemUnitOfWork<WebhooksTx>;
  sender: WebhookSender;
  secrets: SealedSecrets;
  clock: Clock;
  /** The delays between attempts (DEFAULT_RETRY_DELAYS_MS unless the operator set WEBHOOK_RETRY_DELAYS_MS). */
  retryDelaysMs: readonly number[];
  /** How long a claimed delivery is this replica's: longer than one attempt may take. */
  leaseMs: number;
  random?: () => number;
}

const dispatcher = (tenantId: string): Actor => ({ kind: "system", tenantId, name: "webhook-dispatcher" });

export interface DeliveryPass {
  delivered: number;
  failed: number;
}

/**
 * The second half of webhook delivery: due deliveries are leased (so another replica, or this one
 * after a crash, takes them over only once the lease ran out: at least once), sent outside any
 * transaction, and their outcome recorded in their tenant's transaction. A failure is retried on
 * the schedule; a delivery that used it up while its endpoint never answered, or a 410 Gone,
 * disables the endpoint with an audit entry and an event. Nothing of the body or URL is logged.
 */
export class DeliverDueWebhooks {
  constructor(private readonly deps: DeliverDeps) {}

  /** Claims up to `limit` due deliveries and sends them all (tests; the dispatcher keeps a pool busy instead). */
  async run(limit = 32): Promise<DeliveryPass> {
    const outcomes = await Promise.all((await this.claim(limit)).map((d) => this.deliver(d)));
    return { delivered: outcomes.filter((o) => o === "delivered").length, failed: outcomes.filter((o) => o === "failed").length };
  }

  /** Leases up to `limit` due deliveries, across tenants, for this replica. */
  claim(limit: number): Promise<Delivery[]> {
    const now = this.deps.clock.now();
    return this.deps.system.runAcrossTenants((tx) => tx.webhooks.claimDue(now, limit, new Date(now.getTime() + this.deps.leaseMs)));
  }

  /** One attempt of a claimed delivery, its outcome recorded in its tenant's transaction. */
  async deliver(claimed: Delivery): Promise<"delivered" | "failed" | "cancelled"> {
    const config = await this.deps.uow.run(claimed.tenantId, (tx) => tx.tenantConfigs.get(claimed.tenantId));
    const endpoint = config?.webhooks?.find((w) => w.name === claimed.endpoint);
    if (!endpoint) {
      // Removed from the config since: nobody to deliver to.
      await this.record(claimed, (d) => ({ ...d, status: "cancelled", leaseUntil: null }));
      return "cancelled";
    }
    const at = this.deps.clock.now();
    let outcome: AttemptOutcome;
    try {
      const secret = await this.deps.secrets.open(endpoint.secretEnvelope, claimed.tenantId);
      outcome = await this.deps.sender.send({ url: endpoint.url, secret, messageId: claimed.eventId, body: claimed.body, traceparent: claimed.traceparent, at });
    } catch {
      outcome = { kind: "unreachable", reason: "not sent" };
    }
    return this.recordAttempt(claimed, outcome, at);
  }

  private async recordAttempt(claimed: Delivery, outcome: AttemptOutcome, at: Date): Promise<"delivered" | "failed"> {
    const delivered = isDelivered(outcome);
    await this.deps.uow.run(claimed.tenantId, async (tx) => {
      const current = await tx.webhooks.find(claimed.tenantId, claimed.id, { lock: true });
      // Taken over (the lease ran out and another attempt was recorded) or changed by an admin.
      if (!current || current.status !== "pending" || current.attempts !== claimed.attempts) return;
      const attempts = current.attempts + 1;
      const firstAttemptAt = current.firstAttemptAt ?? at;
      const answered = outcome.kind === "answered" ? outcome.status : null;
      const base = { ...current, attempts, firstAttemptAt, lastAttemptAt: at, lastStatus: answered, leaseUntil: null };
      const state = await tx.webhooks.state(current.tenantId, current.endpoint);
      if (delivered) {
        await tx.webhooks.save({ ...base, status: "delivered", deliveredAt: at, lastError: null });
        await tx.webhooks.saveState({ ...state, failingSince: null, lastSuccessAt: at });
        return;
      }
      const delay = isGone(outcome) ? null : nextAttemptDelay(attempts, this.deps.retryDelaysMs, (this.deps.random ?? Math.random)(), outcome.kind === "answered" ? outcome.retryAfterMs : null);
      const exhausted = delay === null;
      await tx.webhooks.save({
        ...base,
        status: exhausted ? "failed" : "pending",
        nextAttemptAt: exhausted ? current.nextAttemptAt : new Date(at.getTime() + delay),
        lastError: attemptNote(outcome),
      });
      const failing: EndpointState = { ...state, failingSince: state.failingSince ?? at, lastFailureAt: at };
      if (state.disabledAt === null && shouldDisable(outcome, exhausted, failing.failingSince, firstAttemptAt)) {
        await this.disable(tx, { ...failing, disabledAt: at, disabledReason: isGone(outcome) ? "gone" : "failing" }, answered);
      } else {
        await tx.webhooks.saveState(failing);
      }
    });
    return delivered ? "delivered" : "failed";
  }

  /** Given up on: an audit entry and an event in the same transaction (the tenant's other endpoints may subscribe to it). */
  private async disable(tx: WebhooksTx, state: EndpointState, lastStatus: number | null): Promise<void> {
    await tx.webhooks.saveState(state);
    await tx.outbox.add([
      {
        type: EventTypes.webhookEndpointDisabled,
        tenantId: state.tenantId,
        aggregateType: "webhook_endpoint",
        aggregateId: state.endpoint,
        data: {
          tenantId: state.tenantId,
          endpoint: state.endpoint,
          reason: state.disabledReason,
          failingSince: state.failingSince?.toISOString() ?? null,
          disabledAt: state.disabledAt?.toISOString() ?? null,
          lastStatus,
        },
      },
    ]);
    await tx.audit.record({
      actor: dispatcher(state.tenantId),
      action: "webhook_endpoint.disable",
      outcome: "success",
      targets: { endpoint: state.endpoint },
      reason: state.disabledReason ?? undefined,
    });
  }

  private async record(claimed: Delivery, change: (d: Delivery) => Delivery): Promise<void> {
    await this.deps.uow.run(claimed.tenantId, async (tx) => {
      const current = await tx.webhooks.find(claimed.tenantId, claimed.id, { lock: true });
      if (current && current.status === "pending" && current.attempts === claimed.attempts) await tx.webhooks.save(change(current));
    });
  }
}
