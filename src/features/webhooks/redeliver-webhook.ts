import { DomainError, notFound } from "../../domain/errors.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import type { WebhooksTx } from "./ports.js";
import { deliveryView, type DeliveryView } from "./webhook-views.js";

/**
 * A delivery that used up its schedule is tried again from the start (Standard Webhooks: manual
 * retries after a long outage), with the same body and `webhook-id`, so a receiver that got it
 * after all drops it as a duplicate.
 */
export class RedeliverWebhook {
  constructor(private readonly deps: CommandDeps<WebhooksTx>) {}

  execute(actor: Actor, deliveryId: string): Promise<DeliveryView> {
    const head = { actor, permission: "webhook.manage" as const, action: "webhook.delivery.retry" as const, targets: { deliveryId } };
    return runCommand(this.deps, head, async (tx, now) => {
      const delivery = await tx.webhooks.find(actor.tenantId, deliveryId, { lock: true });
      if (!delivery) throw notFound("webhook delivery");
      if (delivery.status !== "failed") {
        throw new DomainError("INVALID_STATUS_TRANSITION", "only a failed delivery is retried by hand", { currentStatus: delivery.status });
      }
      const again = { ...delivery, status: "pending" as const, attempts: 0, firstAttemptAt: null, nextAttemptAt: now, leaseUntil: null };
      await tx.webhooks.save(again);
      return deliveryView(again);
    });
  }
}
