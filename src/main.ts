import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FastifyInstance } from "fastify";
import { OpenAiGateway } from "./adapters/ai/openai-gateway.js";
import { FhirConsentCheck } from "./adapters/consent/fhir-consent-check.js";
import { FhirGateway } from "./adapters/fhir/fhir-gateway.js";
import { MagicNumberFileTypeDetector } from "./adapters/files/file-type-detector.js";
import { JitsiHealthCheck } from "./adapters/jitsi/jitsi-health-check.js";
import { JitsiMeetAdapter } from "./adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "./adapters/kms/local-kms-secret-store.js";
import { PostgresAsyncVisitQueries } from "./adapters/postgres/async-visit-queries.js";
import { openDatabase, type Database } from "./adapters/postgres/database.js";
import { PostgresJoinQueries } from "./adapters/postgres/join-queries.js";
import { PostgresOfflineQueue } from "./adapters/postgres/offline-queue.js";
import { SessionChangeFeed } from "./adapters/postgres/session-change-feed.js";
import { PostgresSessionQueries } from "./adapters/postgres/session-queries.js";
import { PostgresTenantConfigRepository } from "./adapters/postgres/tenant-config-repository.js";
import { OutboxAudit, PostgresUnitOfWork, type TransactionContext } from "./adapters/postgres/unit-of-work.js";
import { HmacJoinTokenSigner, JoinTokenKeyError, parseJoinTokenKeys, type JoinTokenKey } from "./adapters/tokens/hmac-join-token.js";
import { ConfigError, type Config } from "./config.js";
import { devSecret } from "./dev/dev-secrets.js";
import { aiSummaryFeature } from "./features/ai-summary/wiring.js";
import { asyncVisitsFeature } from "./features/async-visits/wiring.js";
import { participantFromJoinToken } from "./features/join/join-access.js";
import { joinFeature } from "./features/join/wiring.js";
import { sessionsFeature } from "./features/sessions/wiring.js";
import { tenantConfigFeature } from "./features/tenant-config/wiring.js";
import { staffAuthenticator, type StaffAuthConfig } from "./http/auth.js";
import { buildHttpApp } from "./http/app.js";
import type { Clock, IdGenerator, UnitOfWork } from "./platform/ports.js";
import { startEventWorkers } from "./wire-events.js";
import { aiSummaryWorker } from "./workers/ai-summary-worker.js";
import { encounterReconciler } from "./workers/encounter-reconciler.js";
import type { PeriodicWorker } from "./workers/periodic-worker.js";

export const systemClock: Clock = { now: () => new Date() };
const uuids: IdGenerator = { uuid: () => randomUUID() };

export interface Service {
  app: FastifyInstance;
  database: Database;
  config: Config;
  clock: Clock;
  /** The staff JWT secret in force (dev default or AUTH_HS256_SECRET); undefined with JWKS. */
  staffJwtSecret?: string;
  fhirBaseUrl: string;
  /** Background loops (started unless `startWorkers` is false); tests call `runOnce()`. */
  workers: {
    encounterReconciler: PeriodicWorker<{ linked: number; failed: number }>;
    aiSummaries: PeriodicWorker<{ drafted: number; failed: number; charted: number }>;
  };
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  logStream?: { write(line: string): void };
  /** false: do not start the periodic workers (Encounter reconciler, AI summaries); tests call `runOnce()`. */
  startWorkers?: boolean;
  /** false: do not start the outbox relay and the scheduling consumer (default true). */
  eventWorkers?: boolean;
}

/** The composition root: every adapter is built and every feature wired here, in plain code. */
export async function createService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const clock = overrides.clock ?? systemClock;
  // Key material is checked before anything is opened: a bad key list stops the start cleanly.
  const signer = new HmacJoinTokenSigner(joinTokenKeys(config));
  const closers: Array<() => Promise<void>> = [];
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: config.migrateOnStart });
  closers.push(() => database.close());

  let fhirBaseUrl = config.fhirBaseUrl;
  if (!fhirBaseUrl) {
    // Loaded only for the dev default: the Medplum packages and FHIR definitions cost tens of MB
    // (and are devDependencies), which a service pointed at a real FHIR server never needs.
    const { EmbeddedFhirServer } = await import("./adapters/fhir/embedded-fhir-server.js");
    const fhir = new EmbeddedFhirServer();
    fhirBaseUrl = await fhir.start();
    closers.push(() => fhir.stop());
  }

  const masterKey = config.kmsMasterKey ? Buffer.from(config.kmsMasterKey, "base64") : devSecret(config.dataDir, "kms-master-key");
  const { db } = database;
  const uow = new PostgresUnitOfWork(db, clock);
  const audit = new OutboxAudit(db, clock);
  const video = new JitsiMeetAdapter(new LocalKmsSecretStore(masterKey));
  const fhir = new FhirGateway(fhirBaseUrl);
  // Workers log through the app's logger once it exists; ids and error classes only, never PHI.
  let warn: (context: Record<string, unknown>, message: string) => void = () => undefined;
  const report = (message: string, context: Record<string, unknown>, err: unknown) => warn({ ...context, error: errorClass(err) }, message);
  const shared = { uow, audit, clock, ids: uuids, report };
  const tenantConfigs = new PostgresTenantConfigRepository(db);
  const sessionQueries = new PostgresSessionQueries(db);

  const ai = aiSummaryFeature({
    ...shared,
    gateway: config.aiGatewayUrl ? new OpenAiGateway({ baseUrl: config.aiGatewayUrl, apiKey: config.aiGatewayApiKey }) : null,
    chart: fhir,
    kick: () => aiWorker.kick(),
  });
  const aiWorker = aiSummaryWorker(ai.pipeline, (err) => report("worker run failed", { worker: "ai-summary" }, err));
  const sessions = sessionsFeature({
    ...shared,
    queries: sessionQueries,
    tenantConfigs,
    consent: new FhirConsentCheck(fhirBaseUrl),
    videoHealth: new JitsiHealthCheck(config.videoHealthCacheMs, clock, config.videoHealthAllowPrivate),
    rooms: video,
    encounters: fhir,
    afterEnded: [async () => aiWorker.kick()],
  });
  const changes = new SessionChangeFeed();
  await changes.start(database);
  // Closed before the database (closers run in reverse order).
  closers.push(() => changes.close());
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
      queue: new PostgresOfflineQueue(db),
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
    authenticateStaff: staffAuthenticator(staffAuth),
    ready: () => database.ping(),
    logLevel: config.logLevel,
    logStream: overrides.logStream,
    audit,
    web: {
      distDir: fileURLToPath(new URL("../web/dist", import.meta.url)),
      domainsForJoinToken: async (token) => {
        let tenantId: string;
        try {
          tenantId = signer.verify(token).tenantId;
        } catch {
          return [];
        }
        return videoDomains(tenantConfigs, tenantId);
      },
      domainsForTenant: (tenantId) => videoDomains(tenantConfigs, tenantId),
      oidc: config.consoleOidc,
    },
  });
  closers.push(() => app.close());
  warn = (context, message) => app.log.warn(context, message);

  const workers = {
    encounterReconciler: encounterReconciler(sessions.encounterSaga, config.encounterReconcileIntervalMs, (err) =>
      report("worker run failed", { worker: "encounter-reconciler" }, err),
    ),
    aiSummaries: aiWorker,
  };
  if (overrides.startWorkers !== false) for (const worker of Object.values(workers)) worker.start();
  // Stopped before the database closes (closers run in reverse).
  closers.push(async () => {
    for (const worker of Object.values(workers)) await worker.stop();
  });

  if (overrides.eventWorkers !== false) {
    const stopEventWorkers = startEventWorkers({
      config,
      database,
      clock,
      uow,
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
    closers.push(stopEventWorkers);
  }

  return {
    app,
    database,
    config,
    clock,
    staffJwtSecret,
    fhirBaseUrl,
    workers,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** The domains a tenant's pages may load video from (CSP): its configured backends, nothing else. */
async function videoDomains(configs: PostgresTenantConfigRepository, tenantId: string): Promise<string[]> {
  if (tenantId.length > 200) return [];
  const config = await configs.get(tenantId);
  return config?.videoBackends.map((b) => b.domain) ?? [];
}

/** Error names and codes only: messages of driver errors can quote query parameters. */
export function errorClass(err: unknown): string {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown } };
  return [e?.name ?? "Error", e?.code ?? e?.cause?.code].filter((x) => typeof x === "string").join(":");
}

/** `JOIN_TOKEN_KEYS`, or a development key kept in DATA_DIR. */
function joinTokenKeys(config: Config): JoinTokenKey[] {
  if (!config.joinTokenKeys) return [{ kid: "dev", key: devSecret(config.dataDir, "join-token-key") }];
  try {
    return parseJoinTokenKeys(config.joinTokenKeys);
  } catch (err) {
    if (err instanceof JoinTokenKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { runCli } = await import("./cli.js");
  runCli(createService).catch((err) => {
    console.error("failed to start:", err instanceof Error ? err.message : "unknown error");
    process.exit(1);
  });
}
