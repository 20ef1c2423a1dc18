import { publishFailureCounter, registerClockSkewGauge } from "../adapters/prometheus/relay-and-clock-metrics.js";
import { registerServiceMetrics } from "../adapters/prometheus/service-metrics.js";
import { OutboxPurge } from "../adapters/postgres/messaging/outbox-purge.js";
import { STAGED_UPLOAD_EXPIRY_MS, StagedUploadPurge } from "../adapters/postgres/repositories/attachment-chunk-store.js";
import { databaseClock } from "../adapters/postgres/connection/database-clock.js";
import type { Config } from "../config.js";
import { ClockSkewMonitor } from "../workers/clock-skew-monitor.js";
import { WebhookDispatcher } from "../workers/webhook-dispatcher.js";
import { WebhookLogPurge } from "../adapters/postgres/messaging/webhook-log-purge.js";
import { encounterReconciler } from "../workers/encounter-reconciler.js";
import { PeriodicWorker } from "../workers/periodic-worker.js";
import type { Adapters } from "./adapters.js";
import { startEventWorkers } from "./event-workers.js";
import type { Features } from "./features.js";
import type { Infrastructure } from "./infrastructure.js";
import type { ServiceOverrides } from "./service.js";
import type { ShutdownSteps } from "./shutdown-steps.js";

/**
 * Step 5 of the composition root: the background loops (started unless the overrides say not),
 * the outbox relay and the scheduling consumer, and the /metrics gauges that read them.
 */
export function startWorkers(config: Config, infra: Infrastructure, a: Adapters, features: Features, overrides: ServiceOverrides, shutdown: ShutdownSteps) {
  const { database, log } = infra;
  const { clock } = a.shared;
  const onError = (worker: string) => (err: unknown) => a.report("worker run failed", { worker }, err);
  const outboxPurge = new OutboxPurge(database.system, config.outboxRetentionHours * 3_600_000);
  const stagedUploads = new StagedUploadPurge(database.system, STAGED_UPLOAD_EXPIRY_MS);
  const webhookLog = new WebhookLogPurge(database.system, config.webhooks.logRetentionHours * 3_600_000);
  const clockSkew = new ClockSkewMonitor({ database: databaseClock(database), clock, log: log.child({ component: "clock-skew" }), warnSeconds: config.clockSkewWarnSeconds });
  const everyTenMinutes = <T>(name: string, task: () => Promise<T>) => new PeriodicWorker(name, 10 * 60_000, task, onError(name));
  const periodic = {
    encounterReconciler: encounterReconciler(features.sessions.encounterSaga, config.encounterReconcileIntervalMs, onError("encounter-reconciler"), config.encounterReconcileBatch),
    aiSummaries: features.ai.worker,
    // Published rows are in JetStream (or the dev log) already; the table must not grow forever.
    outboxPurge: everyTenMinutes("outbox-purge", () => outboxPurge.purge(clock.now())),
    // Uploads a crash or a failed discard left staged (their submission never committed).
    stagedUploadPurge: everyTenMinutes("staged-upload-purge", () => stagedUploads.purge(clock.now())),
    // Removed endpoints' deliveries cancelled; finished deliveries past the retention dropped.
    webhookLogPurge: everyTenMinutes("webhook-log-purge", () => webhookLog.purge(clock.now())),
    // This replica's clock against the database's: a metric, and a loud log line past the threshold.
    clockSkew: new PeriodicWorker("clock-skew", 60_000, () => clockSkew.sample(), onError("clock-skew")),
  };
  if (overrides.startWorkers !== false) {
    for (const worker of Object.values(periodic)) worker.start();
    // Measured at start-up too, so a replica started with a wrong clock says so at once.
    periodic.clockSkew.kick();
  }
  // Webhooks from the outbox: every replica sends; this process's commits wake it.
  const webhooks = new WebhookDispatcher({
    fanOut: features.webhooks.fanOut,
    deliveries: features.webhooks.deliver,
    concurrency: config.webhooks.concurrency,
    pollIntervalMs: config.webhooks.pollIntervalMs,
    log: log.child({ component: "webhook-dispatcher" }),
  });
  if (overrides.startWorkers !== false) {
    webhooks.start();
    a.signals.attach({ wakeWebhooks: () => webhooks.wake() });
  }
  shutdown.add("webhook dispatcher", () => webhooks.stop());
  // Stopped before the database closes (steps run in reverse).
  shutdown.add("periodic workers", async () => {
    for (const worker of Object.values(periodic)) await worker.stop();
  });

  const events =
    overrides.eventWorkers === false
      ? null
      : startEventWorkers({
          config,
          database,
          clock,
          uow: a.shared.uow,
          commits: a.signals,
          log,
          onPublishFailure: publishFailureCounter(a.metricsRegistry),
          sessions: features.appointmentSessions,
        });
  if (events) {
    // Rows committed in this process wake its relay at once.
    a.signals.attach({ wakeRelay: () => events.wakeRelay() });
    // Closed before the database (steps run in reverse order).
    shutdown.add("outbox relay and scheduling consumer", () => events.stop());
  }
  registerClockSkewGauge(a.metricsRegistry, () => clockSkew.sample());
  registerServiceMetrics(a.metricsRegistry, { database, relayLeader: () => events?.relayLeader() ?? false, natsConnected: () => events?.natsConnected?.() ?? false });
  return { ...periodic, webhooks };
}
