import type { FastifyInstance } from "fastify";
import type { Database } from "../adapters/postgres/connection/database.js";
import type { Config } from "../config.js";
import type { Clock } from "../platform/ports.js";
import type { PeriodicWorker } from "../workers/periodic-worker.js";
import type { WebhookDispatcher } from "../workers/webhook-dispatcher.js";

/** What the composition root (`createService`, create-service.ts) hands its callers: the CLI and the tests. */
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
    outboxPurge: PeriodicWorker<{ deleted: number }>;
    stagedUploadPurge: PeriodicWorker<{ deleted: number }>;
    webhookLogPurge: PeriodicWorker<{ cancelled: number; deleted: number }>;
    /** Standard Webhooks from the outbox (fan-out and delivery); `wake()` looks for work now. */
    webhooks: WebhookDispatcher;
  };
  /** Before the first listen: open the pool and let V8 compile the request path (cold start). */
  warmUp(): Promise<void>;
  /** Shutdown, first step: readiness 503 at once, every answer closes its connection; still serving. */
  drain(): void;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /**
   * Judges staff tokens' `exp` and `nbf` (default: `clock`). For a test whose staff tokens are
   * signed on the real time while it moves the service's clock by hand.
   */
  staffTokenClock?: Clock;
  logStream?: { write(line: string): void };
  /** false: do not start the periodic workers (Encounter reconciler, AI summaries); tests call `runOnce()`. */
  startWorkers?: boolean;
  /** false: no demo tenant in development mode (default: seeded, as the quick start needs). */
  seedDemoTenant?: boolean;
  /** false: do not start the outbox relay and the scheduling consumer (default true). */
  eventWorkers?: boolean;
}
