import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OpenAiGateway } from "./adapters/ai/openai-gateway.js";
import { FhirConsentCheck } from "./adapters/consent/fhir-consent-check.js";
import { FhirGateway } from "./adapters/fhir/fhir-gateway.js";
import { MagicNumberFileTypeDetector } from "./adapters/files/file-type-detector.js";
import { JitsiHealthCheck } from "./adapters/jitsi/jitsi-health-check.js";
import { JitsiMeetAdapter } from "./adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "./adapters/kms/local-kms-secret-store.js";
import { PostgresAsyncVisitQueries } from "./adapters/postgres/async-visit-queries.js";
import { openDatabase } from "./adapters/postgres/database.js";
import { PostgresJoinQueries } from "./adapters/postgres/join-queries.js";
import { OutboxPurge } from "./adapters/postgres/outbox-purge.js";
import { PostgresAttachmentStore, STAGED_UPLOAD_EXPIRY_MS, StagedUploadPurge } from "./adapters/postgres/attachment-chunk-store.js";
import { PooledOfflineQueue } from "./adapters/postgres/offline-queue.js";
import { SessionChangeFeed } from "./adapters/postgres/session-change-feed.js";
import { PostgresSessionQueries } from "./adapters/postgres/session-queries.js";
import { PooledTenantConfigRepository } from "./adapters/postgres/tenant-config-repository.js";
import { PostgresSystemUnitOfWork, PostgresUnitOfWork, type TransactionContext } from "./adapters/postgres/unit-of-work.js";
import { ChangeSignals } from "./adapters/postgres/change-signals.js";
import { GroupCommitAudit } from "./adapters/postgres/group-commit-audit.js";
import { HmacJoinTokenSigner } from "./adapters/tokens/hmac-join-token.js";
import { assertProductionKeys, type Config } from "./config.js";
import { joinTokenKeys, tokenTenant } from "./join-token-keys.js";
import { serviceVersion } from "./version.js";
import { devSecret } from "./dev/dev-secrets.js";
import { aiSummaryFeature } from "./features/ai-summary/wiring.js";
import { asyncVisitsFeature } from "./features/async-visits/wiring.js";
import { participantFromJoinToken } from "./features/join/join-access.js";
import { joinFeature } from "./features/join/wiring.js";
import { sessionsFeature } from "./features/sessions/wiring.js";
import { tenantConfigFeature } from "./features/tenant-config/wiring.js";
import { staffAuthenticator, type StaffAuthConfig } from "./http/auth.js";
import { buildHttpApp, createLogger } from "./http/app.js";
import { warmUp } from "./http/warm-up.js";
import { describeFailure } from "./platform/database-failure.js";
import { observeUseCases } from "./platform/use-case-observer.js";
import { inSpan } from "./adapters/opentelemetry/trace-context.js";
import type { Clock, IdGenerator, UnitOfWork } from "./platform/ports.js";
import { startEventWorkers } from "./wire-events.js";
import { Registry } from "prom-client";
import { externalCallHistogram, instrumented, registerServiceMetrics } from "./adapters/prometheus/service-metrics.js";
import { aiSummaryWorker } from "./workers/ai-summary-worker.js";
import { encounterReconciler } from "./workers/encounter-reconciler.js";
import { PeriodicWorker } from "./workers/periodic-worker.js";

export const systemClock: Clock = { now: () => new Date() };
const uuids: IdGenerator = { uuid: () => randomUUID() };

import type { Service, ServiceOverrides } from "./service.js";

export type { Service, ServiceOverrides };

/** The composition root: every adapter is built and every feature wired here, in plain code. */
export async function createService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const clock = overrides.clock ?? systemClock;
  let draining = false;
  // Key material is checked before anything is opened: a bad key list stops the start cleanly.
  const configuredKeys = joinTokenKeys(config);
  // Before any dev key could be written to DATA_DIR (issue 11: replicas inventing their own keys).
  assertProductionKeys(config);
  const signer = new HmacJoinTokenSigner(configuredKeys ?? [{ kid: "dev", key: devSecret(config.dataDir, "join-token-key") }]);
  // Closed in reverse order of opening, each step logged (shutdown must be visible to an operator).
  const closers: Array<[string, () => Promise<void>]> = [];
  // One logger from the start: a service waiting for its database says so before it listens.
  const log = createLogger(config.logLevel, overrides.logStream);
  // Before the pool exists (its clients are patched) and before the app (its first plugin).
  // The SDK is imported only when traces are wanted: a service without OTLP never loads it.
  const tracing = config.otlpEndpoint
    ? await (await import("./adapters/opentelemetry/tracing.js")).startTracing({ name: "virtual-care-service", version: serviceVersion() })
    : null;
  if (tracing) {
    observeUseCases((action, work) => inSpan(action, work));
    // Pushed first, so run last: the spans of the shutdown itself are sent too.
    closers.push(["trace exporter", () => tracing.shutdown()]);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, migrate: config.migrateOnStart, ...config.database, log });
  closers.push(["database pool", () => database.close()]);

  let fhirBaseUrl = config.fhirBaseUrl;
  if (!fhirBaseUrl) {
    // Loaded only for the dev default: the Medplum packages and FHIR definitions cost tens of MB
    // (and are devDependencies), which a service pointed at a real FHIR server never needs.
    const { EmbeddedFhirServer } = await import("./adapters/fhir/embedded-fhir-server.js");
    const fhir = new EmbeddedFhirServer({ lazy: true });
    fhirBaseUrl = await fhir.start();
    closers.push(["embedded FHIR server", () => fhir.stop()]);
  }

  const masterKey = config.kmsMasterKey ? Buffer.from(config.kmsMasterKey, "base64") : devSecret(config.dataDir, "kms-master-key");
  const { db } = database;
  // Workers log through the app's logger once it exists; ids and error classes only, never PHI.
  let warn: (context: Record<string, unknown>, message: string) => void = () => undefined;
  const report = (message: string, context: Record<string, unknown>, err: unknown) => warn({ ...context, error: describeFailure(err) }, message);
  // Who waits for a commit (the relay, waiting-room streams) is told after it, not by a NOTIFY in it.
  const changes = new SessionChangeFeed();
  const signals = new ChangeSignals(database.pool, changes.origin, (err) => report("change signal failed", {}, err));
  let wakeRelay = () => false;
  signals.attach({ wakeRelay: () => wakeRelay(), sessionsChanged: (keys) => changes.changed(keys) });
  const uow = new PostgresUnitOfWork(db, clock, signals);
  // The system paths (docs/security.md, "Row-level security"): audit entries written outside a
  // command's transaction (group-committed: one INSERT may hold several tenants' rows), and the
  // workers' cross-tenant claims. Nothing else gets `system`.
  const audit = new GroupCommitAudit(database.system, clock, () => signals.outboxWritten());
  const system = new PostgresSystemUnitOfWork(database.system, clock, signals);
  closers.push([
    "read audit and change signals",
    async () => {
      await audit.drain();
      await signals.drain();
    },
  ]);
  const video = new JitsiMeetAdapter(new LocalKmsSecretStore(masterKey));
  // Every call to an outside system is timed and counted by outcome on /metrics.
  const metricsRegistry = new Registry();
  const calls = externalCallHistogram(metricsRegistry);
  const fhir = instrumented(new FhirGateway(fhirBaseUrl), "fhir", calls);
  const shared = { uow, audit, clock, ids: uuids, report };
  const tenantConfigs = new PooledTenantConfigRepository(db);
  const sessionQueries = new PostgresSessionQueries(db);

  const ai = aiSummaryFeature({
    ...shared,
    system,
    gateway: config.aiGatewayUrl ? instrumented(new OpenAiGateway({ baseUrl: config.aiGatewayUrl, apiKey: config.aiGatewayApiKey }), "ai-gateway", calls) : null,
    chart: fhir,
    kick: () => aiWorker.kick(),
  });
  const aiWorker = aiSummaryWorker(ai.pipeline, (err) => report("worker run failed", { worker: "ai-summary" }, err));
  const sessions = sessionsFeature({
    ...shared,
    system,
    queries: sessionQueries,
    tenantConfigs,
    consent: instrumented(new FhirConsentCheck(fhirBaseUrl), "fhir-consent", calls),
    videoHealth: instrumented(new JitsiHealthCheck(config.videoHealthCacheMs, clock, config.videoHealthAllowPrivate), "video-health", calls),
    rooms: video,
    encounters: fhir,
    afterEnded: [async () => aiWorker.kick()],
  });
  await changes.start(database);
  // Closed before the database (closers run in reverse order).
  closers.push(["session change feed", () => changes.close()]);
  const join = joinFeature({
    changes,
    ...shared,
    participantQueries: sessionQueries,
    joinQueries: new PostgresJoinQueries(db),
    signer,
    video,
    publicBaseUrl: config.publicBaseUrl,
  });
  // Registered in this order (it is also the order of the OpenAPI document).
  const features = [
    sessions.http,
    join.participants,
    tenantConfigFeature({ ...shared, tenantConfigs, secrets: new LocalKmsSecretStore(masterKey) }),
    join.join,
    join.live,
    ai.http,
    asyncVisitsFeature({
      ...shared,
      files: new MagicNumberFileTypeDetector(),
      attachments: new PostgresAttachmentStore(db, clock),
      queue: new PooledOfflineQueue(db),
      queries: new PostgresAsyncVisitQueries(db),
      participantFromJoinToken: (token) => participantFromJoinToken(signer, clock.now(), token),
    }),
  ];

  let staffAuth: StaffAuthConfig;
  let staffJwtSecret: string | undefined;
  if (config.auth.kind === "dev") {
    staffJwtSecret = devSecret(config.dataDir, "auth-hs256-secret").toString("base64url");
    staffAuth = { kind: "hs256", secret: staffJwtSecret };
  } else {
    staffAuth = config.auth;
    if (config.auth.kind === "hs256") staffJwtSecret = config.auth.secret;
  }

  const app = await buildHttpApp({
    features,
    tracing: tracing?.httpPlugin,
    authenticateStaff: staffAuthenticator(staffAuth),
    ready: () => database.ping(),
    draining: () => draining,
    metricsRegistry,
    logger: log,
    timeouts: config.http,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    securityHeaders: { hstsMaxAgeSeconds: config.hstsMaxAgeSeconds, behindTls: config.publicBaseUrl.startsWith("https://") },
    metricsToken: config.metricsToken,
    rateLimits: config.rateLimits,
    trustProxyHops: config.trustProxyHops,
    audit,
    web: {
      distDir: fileURLToPath(new URL("../web/dist", import.meta.url)),
      // A link whose token does not verify still gets its page (to show why), with no video domain.
      domainsForJoinToken: async (token) => videoDomains(tenantConfigs, tokenTenant(signer, token)),
      domainsForTenant: (tenantId) => videoDomains(tenantConfigs, tenantId),
      oidc: config.consoleOidc,
    },
  });
  // The HTTP server closes first (closers run in reverse, and it is pushed last below): the
  // requests still in flight finish while the workers and the pool are still there.
  warn = (context, message) => app.log.warn(context, message);

  const outboxPurge = new OutboxPurge(database.system, config.outboxRetentionHours * 3_600_000);
  const stagedUploads = new StagedUploadPurge(database.system, STAGED_UPLOAD_EXPIRY_MS);
  const everyTenMinutes = <T>(name: string, task: () => Promise<T>) => new PeriodicWorker(name, 10 * 60_000, task, (err) => report("worker run failed", { worker: name }, err));
  const workers = {
    encounterReconciler: encounterReconciler(sessions.encounterSaga, config.encounterReconcileIntervalMs, (err) =>
      report("worker run failed", { worker: "encounter-reconciler" }, err),
    ),
    aiSummaries: aiWorker,
    // Published rows are in JetStream (or the dev log) already; the table must not grow forever.
    outboxPurge: everyTenMinutes("outbox-purge", () => outboxPurge.purge(clock.now())),
    // Uploads a crash or a failed discard left staged (their submission never committed).
    stagedUploadPurge: everyTenMinutes("staged-upload-purge", () => stagedUploads.purge(clock.now())),
  };
  if (overrides.startWorkers !== false) for (const worker of Object.values(workers)) worker.start();
  // Stopped before the database closes (closers run in reverse).
  closers.push([
    "periodic workers",
    async () => {
      for (const worker of Object.values(workers)) await worker.stop();
    },
  ]);

  let relayLeader: (() => boolean) | undefined;
  let natsConnected: (() => boolean) | undefined;
  registerServiceMetrics(metricsRegistry, { database, relayLeader: () => relayLeader?.() ?? false, natsConnected: () => natsConnected?.() ?? false });
  if (overrides.eventWorkers !== false) {
    const eventWorkers = startEventWorkers({
      config,
      database,
      clock,
      uow,
      commits: signals,
      log: app.log,
      // The scheduling consumer runs the API's own use cases on its inbox unit of work (flow 4.4).
      sessions: {
        create: async (on: UnitOfWork<TransactionContext>, actor, visit) => {
          await sessions.commandsOn(on).create.execute(actor, visit);
        },
        cancel: async (on: UnitOfWork<TransactionContext>, actor, sessionId, reason) => {
          await sessions.commandsOn(on).cancel.execute(actor, sessionId, reason);
        },
      },
    });
    // Closed before the database (closers run in reverse order).
    closers.push(["outbox relay and scheduling consumer", () => eventWorkers.stop()]);
    relayLeader = eventWorkers.relayLeader;
    wakeRelay = eventWorkers.wakeRelay;
    natsConnected = eventWorkers.natsConnected;
  }

  closers.push(["HTTP server", () => app.close()]);
  let closing: Promise<void> | undefined;
  return {
    app,
    database,
    config,
    clock,
    staffJwtSecret,
    fhirBaseUrl,
    workers,
    warmUp: () => warmUp(app, database.pool, config.database.poolSize),
    drain: () => {
      draining = true;
    },
    // Once, however often it is called (a signal and a test's cleanup may both ask).
    close: () =>
      (closing ??= (async () => {
        for (const [name, close] of [...closers].reverse()) {
          await close().then(
            () => app.log.info({ step: name }, "shutdown: closed"),
            (err) => app.log.warn({ step: name, error: describeFailure(err) }, "shutdown: close failed"),
          );
        }
      })()),
  };
}

/** The domains a tenant's pages may load video from (CSP): its configured backends, nothing else. */
async function videoDomains(configs: PooledTenantConfigRepository, tenantId: string | null): Promise<string[]> {
  if (tenantId === null || tenantId.length > 200) return [];
  const config = await configs.get(tenantId);
  return config?.videoBackends.map((b) => b.domain) ?? [];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { runCli } = await import("./cli.js");
  runCli(createService).catch((err) => {
    console.error("failed to start:", err instanceof Error ? err.message : "unknown error");
    process.exit(1);
  });
}
