import { Registry } from "prom-client";
import { OpenAiGateway } from "../adapters/ai/openai-gateway.js";
import { FhirConsentCheck } from "../adapters/consent/fhir-consent-check.js";
import { FhirGateway } from "../adapters/fhir/fhir-gateway.js";
import { CachedPatientDirectory } from "../adapters/fhir/patient-name-cache.js";
import { MagicNumberFileTypeDetector } from "../adapters/files/file-type-detector.js";
import { JitsiHealthCheck } from "../adapters/jitsi/jitsi-health-check.js";
import { JitsiMeetAdapter } from "../adapters/jitsi/jitsi-meet.js";
import { rsaPrivateKeyPem } from "../adapters/jitsi/jaas.js";
import { StandardWebhooksSender } from "../adapters/webhooks/standard-webhooks-sender.js";
import { StandardWebhookTargets } from "../adapters/webhooks/webhook-targets.js";
import { PostgresWebhookQueries } from "../adapters/postgres/queries/webhook-queries.js";
import { serviceVersion } from "./version.js";
import { LocalKmsSecretStore } from "../adapters/kms/local-kms-secret-store.js";
import { externalCallHistogram, instrumented } from "../adapters/prometheus/service-metrics.js";
import { PostgresAsyncVisitQueries } from "../adapters/postgres/queries/async-visit-queries.js";
import { PostgresJoinQueries } from "../adapters/postgres/queries/join-queries.js";
import { PostgresLinkRequestQueries } from "../adapters/postgres/queries/link-request-store.js";
import { PostgresSessionQueries } from "../adapters/postgres/queries/session-queries.js";
import { PostgresWaitingBoardQueries } from "../adapters/postgres/queries/waiting-board-queries.js";
import { PostgresAttachmentStore } from "../adapters/postgres/repositories/attachment-chunk-store.js";
import { GroupCommitAudit } from "../adapters/postgres/repositories/group-commit-audit.js";
import { PooledOfflineQueue } from "../adapters/postgres/repositories/offline-queue.js";
import { PooledTenantConfigRepository } from "../adapters/postgres/repositories/tenant-config-repository.js";
import { PostgresSystemUnitOfWork, PostgresUnitOfWork } from "../adapters/postgres/repositories/unit-of-work.js";
import { ChangeSignals } from "../adapters/postgres/signals/change-signals.js";
import { SessionChangeFeed } from "../adapters/postgres/signals/session-change-feed.js";
import { HmacJoinTokenSigner, type JoinTokenKey } from "../adapters/tokens/hmac-join-token.js";
import type { Config } from "../config.js";
import { devSecret } from "../dev/dev-secrets.js";
import { describeFailure } from "../platform/database-failure.js";
import type { Clock } from "../platform/ports.js";
import type { SharedDeps } from "../platform/wiring.js";
import type { Infrastructure } from "./infrastructure.js";
import type { ShutdownSteps } from "./shutdown-steps.js";
import { uuids } from "./system-clock.js";

export type Adapters = Awaited<ReturnType<typeof buildAdapters>>;

/**
 * Step 2 of the composition root: every adapter the features are given, grouped by what they talk
 * to. Calls to outside systems are timed and counted by outcome on /metrics (`instrumented`).
 */
export async function buildAdapters(config: Config, infra: Infrastructure, clock: Clock, joinKeys: JoinTokenKey[] | null, shutdown: ShutdownSteps) {
  const { database, log, fhirBaseUrl, masterKey } = infra;
  const { db } = database;
  // Notes from background steps: ids and the error's class only, never PHI.
  const report: SharedDeps["report"] = (message, context, err) => log.warn({ ...context, error: describeFailure(err) }, message);

  // The database: who waits for a commit (the relay, waiting-room streams) is told after it, not
  // by a NOTIFY in it (change-signals.ts).
  const changes = new SessionChangeFeed();
  const signals = new ChangeSignals(database.pool, changes.origin, (err) => report("change signal failed", {}, err));
  signals.attach({ sessionsChanged: (keys) => changes.changed(keys) });
  const uow = new PostgresUnitOfWork(db, clock, signals);
  // The system paths (docs/security.md, "Row-level security"): audit entries written outside a
  // command's transaction (group-committed: one INSERT may hold several tenants' rows), and the
  // workers' cross-tenant claims. Nothing else gets `system`.
  // Audit rows only: nothing for the webhook dispatcher (change-signals.ts).
  const audit = new GroupCommitAudit(database.system, clock, () => signals.outboxWritten(false));
  const system = new PostgresSystemUnitOfWork(database.system, clock, signals);
  shutdown.add("read audit and change signals", async () => {
    await audit.drain();
    await signals.drain();
  });
  await changes.start(database);
  // Closed before the database (steps run in reverse order).
  shutdown.add("session change feed", () => changes.close());

  // Outside systems, each call timed on /metrics.
  const metricsRegistry = new Registry();
  const calls = externalCallHistogram(metricsRegistry);
  const fhir = instrumented(new FhirGateway(fhirBaseUrl), "fhir", calls);
  const secrets = new LocalKmsSecretStore(masterKey);
  const aiGateway = config.aiGatewayUrl ? instrumented(new OpenAiGateway({ baseUrl: config.aiGatewayUrl, apiKey: config.aiGatewayApiKey }), "ai-gateway", calls) : null;

  return {
    report,
    metricsRegistry,
    changes,
    signals,
    /** What every feature gets besides its own ports. */
    shared: { uow, audit, clock, ids: uuids, report },
    system,
    signer: new HmacJoinTokenSigner(joinKeys ?? [{ kid: "dev", key: devSecret(config.dataDir, "join-token-key") }]),
    secrets,
    video: new JitsiMeetAdapter(secrets),
    videoKeys: { rsaPrivateKeyPem },
    // Tenants' webhook receivers: the SSRF guard when configured and at every connection.
    webhookTargets: new StandardWebhookTargets(config.webhooks.allowPrivate),
    webhookSender: new StandardWebhooksSender({ allowPrivate: config.webhooks.allowPrivate, timeoutMs: config.webhooks.timeoutMs, userAgent: `virtual-care-webhooks/${serviceVersion()}` }),
    videoHealth: instrumented(new JitsiHealthCheck(config.videoHealthCacheMs, clock, config.videoHealthAllowPrivate), "video-health", calls),
    fhir,
    consent: instrumented(new FhirConsentCheck(fhirBaseUrl), "fhir-consent", calls),
    // Names for the console: read from FHIR through the gateway, a minute in memory.
    patients: new CachedPatientDirectory(fhir),
    aiGateway,
    files: new MagicNumberFileTypeDetector(),
    tenantConfigs: new PooledTenantConfigRepository(db),
    queries: {
      sessions: new PostgresSessionQueries(db, clock, () => signals.outboxWritten(false)),
      waitingBoard: new PostgresWaitingBoardQueries(db),
      join: new PostgresJoinQueries(db, clock, () => signals.outboxWritten(false)),
      linkRequests: new PostgresLinkRequestQueries(db),
      asyncVisits: new PostgresAsyncVisitQueries(db),
      webhooks: new PostgresWebhookQueries(db),
    },
    attachments: new PostgresAttachmentStore(db, clock),
    offlineQueue: new PooledOfflineQueue(db),
  };
}
