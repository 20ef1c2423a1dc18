import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { SignJWT } from "jose";
import type { FastifyInstance } from "fastify";
import { AddParticipant } from "./features/join/add-participant.js";
import { CancelSession } from "./features/sessions/cancel-session.js";
import { CreateVirtualSession } from "./features/sessions/create-session.js";
import { AcceptAiSummary } from "./features/ai-summary/accept-ai-summary.js";
import { AiSummaryPipeline } from "./features/ai-summary/ai-summary-pipeline.js";
import { EncounterSaga } from "./features/sessions/encounter-saga.js";
import { GetAiSummary } from "./features/ai-summary/get-ai-summary.js";
import { RejectAiSummary } from "./features/ai-summary/reject-ai-summary.js";
import { RequestAiSummary } from "./features/ai-summary/request-ai-summary.js";
import { GetAsyncVisitAttachment, ListPendingAsyncVisits } from "./features/async-visits/list-pending-async-visits.js";
import { ReviewAsyncVisit } from "./features/async-visits/review-async-visit.js";
import { SubmitAsyncVisit } from "./features/async-visits/submit-async-visit.js";
import { MagicNumberFileTypeDetector } from "./adapters/files/file-type-detector.js";
import { PostgresAsyncVisitQueries } from "./adapters/postgres/async-visit-queries.js";
import { PostgresOfflineQueue } from "./adapters/postgres/offline-queue.js";
import { asyncVisitRoutes } from "./features/async-visits/routes.js";
import { EndSession } from "./features/sessions/end-session.js";
import { GetTenantConfig } from "./features/tenant-config/get-tenant-config.js";
import { InitiateFallback } from "./features/sessions/initiate-fallback.js";
import type { Clock, IdGenerator, UnitOfWork } from "./platform/ports.js";
import { GetParticipantList } from "./features/join/get-participant-list.js";
import { GetSessionDetail } from "./features/sessions/get-session-detail.js";
import { GetSessionList } from "./features/sessions/get-session-list.js";
import { UpdateTenantConfig } from "./features/tenant-config/update-tenant-config.js";
import { AdmitParticipant } from "./features/join/admit-participant.js";
import { GetJoinToken } from "./features/join/get-join-token.js";
import { GetJoinStatus } from "./features/join/get-join-status.js";
import { RemoveParticipant } from "./features/join/remove-participant.js";
import { ReportBandwidth } from "./features/join/report-bandwidth.js";
import { ValidateJoinToken } from "./features/join/validate-join-token.js";
import { PostgresJoinQueries } from "./adapters/postgres/join-queries.js";
import { HmacJoinTokenSigner, JoinTokenKeyError, parseJoinTokenKeys, type JoinTokenKey } from "./adapters/tokens/hmac-join-token.js";
import { FhirConsentCheck } from "./adapters/consent/fhir-consent-check.js";
import { FhirGateway } from "./adapters/fhir/fhir-gateway.js";
import { OpenAiGateway } from "./adapters/ai/openai-gateway.js";
import { JitsiHealthCheck } from "./adapters/jitsi/jitsi-health-check.js";
import { JitsiMeetAdapter } from "./adapters/jitsi/jitsi-meet.js";
import { LocalKmsSecretStore } from "./adapters/kms/local-kms-secret-store.js";
import { openDatabase, type Database } from "./adapters/postgres/database.js";
import { PostgresSessionQueries } from "./adapters/postgres/session-queries.js";
import { PostgresTenantConfigRepository } from "./adapters/postgres/tenant-config-repository.js";
import { OutboxAudit, PostgresUnitOfWork } from "./adapters/postgres/unit-of-work.js";
import { PostgresOutboxWriter } from "./adapters/postgres/outbox-writer.js";
import { edgeDenialEvent } from "./platform/edge-denial.js";
import { startEventWorkers } from "./wire-events.js";
import { participantFromJoinToken } from "./features/join/join-access.js";
import { PostgresClinicalUnitOfWork } from "./adapters/postgres/clinical-unit-of-work.js";
import { encounterReconciler } from "./workers/encounter-reconciler.js";
import { aiSummaryWorker } from "./workers/ai-summary-worker.js";
import { aiSummaryRoutes } from "./features/ai-summary/routes.js";
import type { PeriodicWorker } from "./workers/periodic-worker.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { devSecret } from "./dev/dev-secrets.js";
import { staffAuthenticator, type StaffAuthConfig } from "./http/auth.js";
import { buildHttpApp } from "./http/app.js";

export const systemClock: Clock = { now: () => new Date() };
const uuids: IdGenerator = { uuid: () => randomUUID() };

export interface Service {
  app: FastifyInstance;
  database: Database;
  config: Config;
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

/** The composition root: every adapter is built and every use case wired here, in plain code. */
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
  const secrets = new LocalKmsSecretStore(masterKey);
  const { db } = database;
  const uow = new PostgresUnitOfWork(db, clock);
  const audit = new OutboxAudit(db, clock);
  const tenantConfigs = new PostgresTenantConfigRepository(db);
  const queries = new PostgresSessionQueries(db);
  const video = new JitsiMeetAdapter(secrets);
  const commandDeps = { uow, audit, clock };
  const joinQueries = new PostgresJoinQueries(db);
  const consent = new FhirConsentCheck(fhirBaseUrl);
  const videoHealth = new JitsiHealthCheck(config.videoHealthCacheMs, clock, config.videoHealthAllowPrivate);
  // The scheduling consumer runs the same use cases on its inbox unit of work (flow 4.4).
  const createSessionOn = (on: UnitOfWork) =>
    new CreateVirtualSession({ uow: on, tenantConfigs, consent, videoHealth, video, audit, clock, ids: uuids });

  const clinicalUow = new PostgresClinicalUnitOfWork(db, clock);
  const fhirGateway = new FhirGateway(fhirBaseUrl);
  // Workers log through the app's logger once it exists; ids and error classes only, never PHI.
  let warn: (context: Record<string, unknown>, message: string) => void = () => undefined;
  const errorClass = (err: unknown) => {
    // Error names and codes only: messages of driver errors can quote query parameters.
    const e = err as { name?: string; code?: unknown; cause?: { code?: unknown } };
    return [e?.name ?? "Error", e?.code ?? e?.cause?.code].filter((x) => typeof x === "string").join(":");
  };
  const encounterSaga = new EncounterSaga({
    uow: clinicalUow,
    fhir: fhirGateway,
    clock,
    onFailure: (sessionId, err) => warn({ sessionId, error: errorClass(err) }, "FHIR Encounter not created yet; the reconciler retries"),
  });

  const aiPipeline = new AiSummaryPipeline({
    uow: clinicalUow,
    ai: config.aiGatewayUrl ? new OpenAiGateway({ baseUrl: config.aiGatewayUrl, apiKey: config.aiGatewayApiKey }) : null,
    fhir: fhirGateway,
    clock,
    onFailure: (summaryId, step, err) => warn({ summaryId, step, error: errorClass(err) }, "AI summary step failed; it is retried"),
  });
  const aiWorker = aiSummaryWorker(aiPipeline, (err) => warn({ worker: "ai-summary", error: errorClass(err) }, "worker run failed"));
  const aiServices = {
    requestAiSummary: new RequestAiSummary({ uow: clinicalUow, audit, clock, ids: uuids, gatewayConfigured: Boolean(config.aiGatewayUrl), kick: () => aiWorker.kick() }),
    getAiSummary: new GetAiSummary({ uow: clinicalUow, audit }),
    acceptAiSummary: new AcceptAiSummary({ uow: clinicalUow, audit, clock, pipeline: aiPipeline }),
    rejectAiSummary: new RejectAiSummary({ uow: clinicalUow, audit, clock }),
  };

  const asyncVisitQueries = new PostgresAsyncVisitQueries(db);
  const asyncVisitServices = {
    submitAsyncVisit: new SubmitAsyncVisit({ uow: clinicalUow, audit, clock, ids: uuids, files: new MagicNumberFileTypeDetector() }),
    listPendingAsyncVisits: new ListPendingAsyncVisits({ queue: new PostgresOfflineQueue(db), queries: asyncVisitQueries, audit }),
    reviewAsyncVisit: new ReviewAsyncVisit({ uow: clinicalUow, audit, clock }),
    getAsyncVisitAttachment: new GetAsyncVisitAttachment({ queries: asyncVisitQueries, audit }),
  };

  const services = {
    createSession: createSessionOn(uow),
    endSession: new EndSession(commandDeps, [encounterSaga.afterEnded, async () => aiWorker.kick()]),
    cancelSession: new CancelSession(commandDeps),
    initiateFallback: new InitiateFallback(commandDeps),
    addParticipant: new AddParticipant({ ...commandDeps, ids: uuids }),
    getSessionList: new GetSessionList({ queries, audit }),
    getSessionDetail: new GetSessionDetail({ queries, audit }),
    getParticipantList: new GetParticipantList({ queries, audit }),
    getTenantConfig: new GetTenantConfig({ tenantConfigs, audit }),
    updateTenantConfig: new UpdateTenantConfig({ uow, secrets, audit, clock }),
    getJoinToken: new GetJoinToken({ joinQueries, signer, audit, clock, publicBaseUrl: config.publicBaseUrl }),
    validateJoinToken: new ValidateJoinToken({ uow, signer, video, audit, clock }),
    getJoinStatus: new GetJoinStatus({ joinQueries, signer, video, audit, clock }),
    reportBandwidth: new ReportBandwidth({ uow, joinQueries, signer, audit, clock }),
    admitParticipant: new AdmitParticipant({ ...commandDeps, video }),
    removeParticipant: new RemoveParticipant(commandDeps),
  };

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
    services,
    authenticateStaff: staffAuthenticator(staffAuth),
    ready: () => database.ping(),
    logLevel: config.logLevel,
    logStream: overrides.logStream,
    auditEdgeDenial: (denial) => new PostgresOutboxWriter(db, clock).add([edgeDenialEvent(denial, clock.now())]),
    plugins: [aiSummaryRoutes(aiServices), asyncVisitRoutes(asyncVisitServices, {
        participantFromJoinToken: (token) => participantFromJoinToken(signer, clock.now(), token),
      })],
  });
  closers.push(() => app.close());
  warn = (context, message) => app.log.warn(context, message);

  const workers = {
    encounterReconciler: encounterReconciler(encounterSaga, config.encounterReconcileIntervalMs, (err) =>
      warn({ worker: "encounter-reconciler", error: errorClass(err) }, "worker run failed"),
    ),
    aiSummaries: aiWorker,
  };
  if (overrides.startWorkers !== false) for (const worker of Object.values(workers)) worker.start();
  // Stopped before the database closes (closers run in reverse).
  closers.push(async () => {
    for (const worker of Object.values(workers)) await worker.stop();
  });

  if (overrides.eventWorkers !== false) {
    const stopWorkers = startEventWorkers({
      config,
      database,
      clock,
      uow,
      log: app.log,
      createSession: createSessionOn,
      cancelSession: (on) => new CancelSession({ uow: on, audit, clock }),
    });
    // Closed before the database (closers run in reverse order).
    closers.push(stopWorkers);
  }

  return {
    app,
    database,
    config,
    staffJwtSecret,
    fhirBaseUrl,
    workers,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** `JOIN_TOKEN_KEYS`, or a development key kept in DATA_DIR (contract §1). */
function joinTokenKeys(config: Config): JoinTokenKey[] {
  if (!config.joinTokenKeys) return [{ kid: "dev", key: devSecret(config.dataDir, "join-token-key") }];
  try {
    return parseJoinTokenKeys(config.joinTokenKeys);
  } catch (err) {
    if (err instanceof JoinTokenKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

export const DEMO_TENANT = "demo-clinic";

/** The embedded default's demo tenant: licensed, no consent needed, one public Jitsi backend. */
async function seedDemoTenant(service: Service): Promise<void> {
  const tenantConfigs = new PostgresTenantConfigRepository(service.database.db);
  if (await tenantConfigs.get(DEMO_TENANT)) return;
  const clock = systemClock;
  const secrets = new LocalKmsSecretStore(devSecret(service.config.dataDir, "kms-master-key"));
  await new UpdateTenantConfig({
    uow: new PostgresUnitOfWork(service.database.db, clock),
    secrets,
    audit: new OutboxAudit(service.database.db, clock),
    clock,
  }).execute(
    { kind: "system", tenantId: DEMO_TENANT, name: "demo-seed" },
    {
      licensed: true,
      consentRequired: false,
      videoBackends: [
        { name: "public-jitsi", provider: "jitsi", domain: "meet.jit.si", appId: "demo", secret: randomUUID() + randomUUID() },
      ],
    },
  );
}

export async function devToken(secret: string, tenantId: string, roles: string[], days = 30): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("dev-user")
    .setIssuedAt()
    .setExpirationTime(`${days}d`)
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  let service: Service;
  try {
    service = await createService(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const embeddedDefaults = !config.databaseUrl && config.auth.kind === "dev";
  if (embeddedDefaults) await seedDemoTenant(service);
  await service.app.listen({ port: config.port, host: config.host });
  const base = config.publicBaseUrl;
  service.app.log.info(`API docs: ${base}/docs`);
  if (config.auth.kind === "dev" && service.staffJwtSecret) {
    const token = await devToken(service.staffJwtSecret, DEMO_TENANT, ["clinician", "scheduler", "admin"]);
    // Printed to stdout for a person at the terminal, not into the structured log.
    process.stdout.write(
      `\nVirtual Care Service (development defaults: ${service.database.kind}, ${config.natsUrl ? "NATS" : "no NATS"})\n` +
        `  docs:          ${base}/docs\n` +
        `  tenant:        ${DEMO_TENANT}\n` +
        `  bearer token:  ${token}\n\n`,
    );
  }
  const shutdown = async () => {
    await service.close();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error("failed to start:", err instanceof Error ? err.message : "unknown error");
    process.exit(1);
  });
}
