import type { WebhookEndpoint } from "../../domain/webhooks.js";
import type { Clock, IdGenerator, SystemUnitOfWork } from "../../platform/ports.js";
import type { NewDelivery, WebhookBodies, WebhooksTx } from "./ports.js";

export interface FanOutDeps {
  system: SystemUnitOfWork<WebhooksTx>;
  bodies: WebhookBodies;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * The first half of webhook delivery, driven by the transactional outbox: committed domain events
 * become one delivery per subscribed endpoint of their tenant, in the transaction that marks them
 * fanned out, so an event is neither lost (the mark and the deliveries commit together) nor
 * fanned out twice (a delivery is unique per endpoint and event). Runs across tenants on the
 * system path; the tenant's own config decides where its events go.
 */
export class FanOutWebhookEvents {
  constructor(private readonly deps: FanOutDeps) {}

  /** One batch; how many events it fanned out (0: nothing pending, or another replica is at it). */
  run(limit = 200): Promise<number> {
    return this.deps.system.runAcrossTenants(async (tx) => {
      const events = await tx.webhooks.eventsToFanOut(limit);
      if (!events || events.length === 0) return 0;
      const endpoints = new Map<string, WebhookEndpoint[]>();
      for (const tenantId of new Set(events.map((e) => e.tenantId))) {
        endpoints.set(tenantId, (await tx.tenantConfigs.get(tenantId))?.webhooks ?? []);
      }
      const now = this.deps.clock.now();
      const deliveries: NewDelivery[] = [];
      for (const event of events) {
        const subscribed = (endpoints.get(event.tenantId) ?? []).filter((w) => (w.eventTypes as readonly string[]).includes(event.type));
        if (subscribed.length === 0) continue;
        const body = this.deps.bodies.render(event);
        for (const w of subscribed) {
          deliveries.push({
            id: this.deps.ids.uuid(),
            tenantId: event.tenantId,
            endpoint: w.name,
            eventId: event.id,
            eventType: event.type,
            aggregateKey: `${event.aggregateType}/${event.aggregateId}`,
            seq: event.seq,
            body,
            traceparent: event.traceparent,
            createdAt: now,
          });
        }
      }
      await tx.webhooks.addDeliveries(deliveries);
      await tx.webhooks.markFannedOut(events.map((e) => e.id));
      return events.length;
    });
  }
}
