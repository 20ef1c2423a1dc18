import { notFound } from "../../domain/errors.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import type { WebhooksTx } from "./ports.js";

/**
 * An admin turns a disabled endpoint back on (their receiver is fixed): it counts as healthy again
 * and what waited for it while it was disabled is due at once, in its order. Enabling an active
 * endpoint changes nothing.
 */
export class EnableWebhookEndpoint {
  constructor(private readonly deps: CommandDeps<WebhooksTx>) {}

  execute(actor: Actor, endpoint: string): Promise<{ endpoint: string; resumed: number }> {
    const head = { actor, permission: "webhook.manage" as const, action: "webhook_endpoint.enable" as const, targets: { endpoint } };
    return runCommand(this.deps, head, async (tx, now) => {
      const config = await tx.tenantConfigs.get(actor.tenantId);
      if (!config?.webhooks?.some((w) => w.name === endpoint)) throw notFound("webhook endpoint");
      const state = await tx.webhooks.state(actor.tenantId, endpoint);
      if (state.disabledAt === null) return { endpoint, resumed: 0 };
      await tx.webhooks.saveState({ ...state, disabledAt: null, disabledReason: null, failingSince: null });
      return { endpoint, resumed: await tx.webhooks.resume(actor.tenantId, endpoint, now) };
    });
  }
}
