import type { FastifyBaseLogger } from "fastify";
import { inSpan } from "../adapters/opentelemetry/trace-context.js";
import type { Tracing } from "../adapters/opentelemetry/tracing.js";
import { openDatabase, type Database } from "../adapters/postgres/connection/database.js";
import type { Config } from "../config.js";
import { DEMO_PATIENTS } from "../dev/demo.js";
import { devSecret } from "../dev/dev-secrets.js";
import { createLogger } from "../http/app.js";
import { observeUseCases } from "../platform/use-case-observer.js";
import type { ShutdownSteps } from "./shutdown-steps.js";
import { serviceVersion } from "./version.js";

/** What everything else is built on: the logger, traces, the database, the FHIR server, the KMS key. */
export interface Infrastructure {
  log: FastifyBaseLogger;
  tracing: Tracing | null;
  database: Database;
  fhirBaseUrl: string;
  masterKey: Buffer;
}

/** Step 1 of the composition root: open what the service runs on, each with its shutdown step. */
export async function openInfrastructure(config: Config, logStream: { write(line: string): void } | undefined, shutdown: ShutdownSteps): Promise<Infrastructure> {
  // One logger from the start: a service waiting for its database says so before it listens.
  const log = createLogger(config.logLevel, logStream);
  if (config.mode === "production" && !config.databaseUrl) {
    log.warn(
      { database: "pglite", setting: "ALLOW_EMBEDDED_DATABASE" },
      "production mode on the embedded PGlite: it runs as a superuser, so row-level security does not separate tenants; use DATABASE_URL for more than a single-tenant trial",
    );
  }
  // Before the pool exists (its clients are patched) and before the app (its first plugin).
  const tracing = await startTracingIfWanted(config);
  if (tracing) {
    observeUseCases((action, work) => inSpan(action, work));
    // Added first, so run last: the spans of the shutdown itself are sent too.
    shutdown.add("trace exporter", () => tracing.shutdown());
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, migrate: config.migrateOnStart, ...config.database, log });
  shutdown.add("database pool", () => database.close());
  const fhirBaseUrl = config.fhirBaseUrl ?? (await startEmbeddedFhirServer(config, shutdown));
  const masterKey = config.kmsMasterKey ? Buffer.from(config.kmsMasterKey, "base64") : devSecret(config.dataDir, "kms-master-key");
  return { log, tracing, database, fhirBaseUrl, masterKey };
}

/** The SDK is imported only when traces are wanted: a service without OTLP never loads it. */
async function startTracingIfWanted(config: Config): Promise<Tracing | null> {
  if (!config.otlpEndpoint) return null;
  const { startTracing } = await import("../adapters/opentelemetry/tracing.js");
  return startTracing({ name: "virtual-care-service", version: serviceVersion() });
}

/** What the service reads and writes on a FHIR server: the embedded one knows only these (~35 MB less). */
const SERVICE_FHIR_TYPES = ["Patient", "Practitioner", "Encounter", "DocumentReference", "Consent"];

/**
 * The dev default's FHIR server, loaded only then: the Medplum packages and FHIR definitions cost
 * tens of MB (and are devDependencies), which a service pointed at a real FHIR server never needs.
 */
async function startEmbeddedFhirServer(config: Config, shutdown: ShutdownSteps): Promise<string> {
  const { EmbeddedFhirServer } = await import("../adapters/fhir/embedded-fhir-server.js");
  // The quick start's demo patients (fictional), so the console's patient search finds someone.
  const fhir = new EmbeddedFhirServer({ lazy: true, seed: config.mode === "development" ? DEMO_PATIENTS : [], resourceTypes: SERVICE_FHIR_TYPES });
  const url = await fhir.start();
  shutdown.add("embedded FHIR server", () => fhir.stop());
  return url;
}
