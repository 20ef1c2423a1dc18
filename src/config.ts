import { DEFAULT_RETRY_DELAYS_MS } from "./domain/webhooks.js";

/** Runtime configuration (README "Configuration") from the environment, checked once at start. */
export interface Config {
  /**
   * "development" only for the embedded quick start: NODE_ENV is not "production" and no
   * production setting (DATABASE_URL, AUTH_*, KMS_MASTER_KEY, JOIN_TOKEN_KEYS) is given. Only then
   * do dev keys and the printed dev token exist (docs/security.md).
   */
  mode: "development" | "production";
  port: number;
  host: string;
  databaseUrl?: string;
  /** The schema owner, for migrations (MIGRATION_DATABASE_URL); DATABASE_URL when absent. */
  migrationDatabaseUrl?: string;
  dataDir: string;
  natsUrl?: string;
  /**
   * NATS_STREAM_REPLICAS: copies JetStream keeps of each stream this service creates (1 for one
   * server; 3 on a 3-node cluster, so losing one node loses nothing and publishing goes on).
   * Only applies when a stream is created; an existing stream keeps what the operator set.
   */
  natsStreamReplicas: number;
  /**
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT: traces are exported by
   * OTLP/HTTP only when one is set (and OTEL_SDK_DISABLED is not "true"). The exporter reads the
   * other OTEL_* settings (headers, timeout, OTEL_BSP_*) itself.
   */
  otlpEndpoint?: string;
  /**
   * The embedded quick start's demo backend (DEMO_VIDEO_DOMAIN, DEMO_VIDEO_APP_SECRET): a local
   * Jitsi with JWT auth (compose.yaml, profile jitsi) instead of meet.jit.si. Read at the first seed.
   */
  demoVideo: { domain?: string; appSecret?: string };
  auth:
    | { kind: "hs256"; secret: string; issuer?: string; audience?: string }
    | { kind: "jwks"; url: string; issuer?: string; audience?: string }
    | { kind: "dev" };
  joinTokenKeys?: string;
  kmsMasterKey?: string;
  fhirBaseUrl?: string;
  aiGatewayUrl?: string;
  /** Bearer key for the AI gateway, when it wants one (AI_GATEWAY_API_KEY). */
  aiGatewayApiKey?: string;
  publicBaseUrl: string;
  /** The console's OpenID Connect sign-in (authorization code + PKCE): issuer = AUTH_ISSUER. */
  consoleOidc?: { authority: string; clientId: string; scope: string };
  videoHealthCacheMs: number;
  /** Allow video health URLs on loopback/private networks (off: a tenant admin could probe them). */
  videoHealthAllowPrivate: boolean;
  encounterReconcileIntervalMs: number;
  /** ENCOUNTER_RECONCILE_BATCH: sessions one reconciler pass links at most (sized in docs/operations.md). */
  encounterReconcileBatch: number;
  migrateOnStart: boolean;
  logLevel: string;
  /** RATE_LIMIT_*_PER_MIN (README): per client address, per join token, per tenant; 0 turns one off. */
  rateLimits: { anonymousPerMinute: number; participantPerMinute: number; tenantPerMinute: number };
  /**
   * ALLOW_EMBEDDED_DATABASE=true: production mode may run on the embedded PGlite (no DATABASE_URL),
   * knowingly: it runs as a superuser, so row-level security does not hold (docs/security.md).
   */
  allowEmbeddedDatabase: boolean;
  /** STREAMS_PER_USER: event streams one staff user may hold open at once, per replica (http/stream-cap.ts). */
  streamsPerUser: number;
  /** TRUST_PROXY: hops of reverse proxies whose X-Forwarded-For is believed (client address for limits). */
  trustProxyHops: number;
  /** OUTBOX_RETENTION_HOURS: published outbox rows older than this are deleted. */
  outboxRetentionHours: number;
  /** HSTS_MAX_AGE_SECONDS: sent when PUBLIC_BASE_URL is https (0: never). */
  hstsMaxAgeSeconds: number;
  /** METRICS_TOKEN: bearer token for /metrics (unset: loopback scrapers only). */
  metricsToken?: string;
  /** MAX_EVENT_LOOP_DELAY_MS: shed requests with 503 while the event loop lags more (0: off). */
  maxEventLoopDelayMs: number;
  /** CLOCK_SKEW_WARN_SECONDS: log an error each minute while this replica's clock is further off the database's (0: never). */
  clockSkewWarnSeconds: number;
  /** Bounds on every wait for PostgreSQL (see docs/operations.md); ignored by embedded PGlite. */
  database: DatabaseTuning;
  /** Bounds on an HTTP answer. */
  http: HttpTimeouts;
  /** Bounds on the sockets (docs/operations.md "Connections"). */
  connections: HttpConnectionSettings;
  /** Outbox relay and scheduling consumer (README "Configuration"). */
  events: {
    relayBatchSize: number;
    relayPollIntervalMs: number;
    schedulingConsumerName: string;
    schedulingAckWaitMs: number;
    /** SCHEDULING_MAX_DELIVER: attempts per event before it is terminated and audited. */
    schedulingMaxDeliver: number;
  };
  shutdown: ShutdownSettings;
  /** Standard Webhooks to tenants' endpoints (README "Configuration", docs/integrations.md). */
  webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /**
   * WEBHOOK_ALLOW_PRIVATE: receivers on loopback/private/link-local addresses, and plain http, are
   * allowed. Off in production mode (a tenant admin could otherwise reach the operator's network);
   * on in the embedded quick start, where the receiver is usually on the same machine.
   */
  allowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_MS: how long a receiver has to answer one attempt. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_DELAYS_MS: the delays between attempts, comma-separated (the Standard Webhooks schedule). */
  retryDelaysMs: number[];
  /** WEBHOOK_POLL_INTERVAL_MS: how often the dispatcher looks for work when nothing woke it. */
  pollIntervalMs: number;
  /** WEBHOOK_CONCURRENCY: deliveries one replica sends at once. */
  concurrency: number;
  /** WEBHOOK_LOG_RETENTION_HOURS: finished deliveries stay in the log this long. */
  logRetentionHours: number;
}

export interface DatabaseTuning {
  poolSize: number;
  /** Opening a connection, and waiting for a free pool client. */
  connectTimeoutMs: number;
  /** Server-side limit on one statement; the client also gives up on a silent connection after it. */
  statementTimeoutMs: number;
  /** A transaction left open and idle this long is ended by the server (its locks released). */
  idleInTransactionTimeoutMs: number;
  /** How long a starting service waits for the database before it gives up (exit 1). */
  startupTimeoutMs: number;
}

export interface HttpTimeouts {
  /** Longest a request may take before it is answered 503 (routes taking uploads: uploadTimeoutMs). */
  requestTimeoutMs: number;
  /** The same for routes whose body may be large (audio, async-visit attachments): slow links. */
  uploadTimeoutMs: number;
  /** /readyz answers 503 when the database has not answered within this time. */
  readinessTimeoutMs: number;
}

export interface HttpConnectionSettings {
  /** HTTP_HEADERS_TIMEOUT_MS: request line and headers must arrive within this (slow clients cut). */
  headersTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: an idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** HTTP_IDLE_TIMEOUT_MS: a connection silent this long in the middle of a request is closed. */
  idleTimeoutMs: number;
  /** HTTP_MAX_CONNECTIONS_PER_ADDRESS: open connections per peer address (0: no cap). */
  maxConnectionsPerAddress: number;
}

export interface ShutdownSettings {
  /** After SIGTERM: readiness is 503 but requests are still served this long (load balancers move away). */
  drainMs: number;
  /** The whole shutdown's bound: past it the process exits 1 whatever is still open. */
  timeoutMs: number;
}

export class ConfigError extends Error {}

const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//i;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, "PORT", 8080, 0, 65535);
  const issuer = env.AUTH_ISSUER || undefined;
  const audience = env.AUTH_AUDIENCE || undefined;
  let auth: Config["auth"] = { kind: "dev" };
  if (env.AUTH_JWKS_URL) {
    // Keys fetched over plain HTTP could be swapped in transit (loopback never leaves the host: a
    // sidecar or a local provider); without issuer and audience any token the IdP signs for
    // another application would be accepted here.
    if (!/^https:\/\//i.test(env.AUTH_JWKS_URL) && !LOOPBACK_HTTP.test(env.AUTH_JWKS_URL)) {
      throw new ConfigError("AUTH_JWKS_URL must be an https URL (or http on loopback)");
    }
    if (!issuer || !audience) throw new ConfigError("AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE");
    auth = { kind: "jwks", url: env.AUTH_JWKS_URL, issuer, audience };
  }
  else if (env.AUTH_HS256_SECRET) {
    if (env.AUTH_HS256_SECRET.length < 32) throw new ConfigError("AUTH_HS256_SECRET must be at least 32 characters");
    auth = { kind: "hs256", secret: env.AUTH_HS256_SECRET, issuer, audience };
  }
  // The manifests' placeholder (REPLACE_ME) and other guessable values must not open /metrics.
  if (env.METRICS_TOKEN && env.METRICS_TOKEN.length < 16) throw new ConfigError("METRICS_TOKEN must be at least 16 characters");
  const productionSetting = ["DATABASE_URL", "AUTH_HS256_SECRET", "AUTH_JWKS_URL", "KMS_MASTER_KEY", "JOIN_TOKEN_KEYS"].some((k) => !!env[k]);
  const mode = env.NODE_ENV === "production" || productionSetting ? "production" : "development";
  return {
    mode,
    port,
    host: env.HOST || "0.0.0.0",
    databaseUrl: env.DATABASE_URL || undefined,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || "./data",
    natsUrl: env.NATS_URL || undefined,
    natsStreamReplicas: int(env, "NATS_STREAM_REPLICAS", 1, 1, 5),
    otlpEndpoint: env.OTEL_SDK_DISABLED === "true" ? undefined : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    demoVideo: { domain: env.DEMO_VIDEO_DOMAIN || undefined, appSecret: env.DEMO_VIDEO_APP_SECRET || undefined },
    auth,
    joinTokenKeys: env.JOIN_TOKEN_KEYS || undefined,
    kmsMasterKey: env.KMS_MASTER_KEY || undefined,
    fhirBaseUrl: env.FHIR_BASE_URL || undefined,
    aiGatewayUrl: env.AI_GATEWAY_URL || undefined,
    aiGatewayApiKey: env.AI_GATEWAY_API_KEY || undefined,
    consoleOidc:
      env.OIDC_CLIENT_ID && issuer && auth.kind === "jwks"
        ? { authority: issuer, clientId: env.OIDC_CLIENT_ID, scope: env.OIDC_SCOPE || "openid" }
        : undefined,
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/$/, ""),
    videoHealthCacheMs: int(env, "VIDEO_HEALTH_CACHE_MS", 5000, 0, 3_600_000),
    videoHealthAllowPrivate: (env.VIDEO_HEALTH_ALLOW_PRIVATE ?? "false").toLowerCase() === "true",
    encounterReconcileIntervalMs: int(env, "ENCOUNTER_RECONCILE_INTERVAL_MS", 60_000, 100, 300_000),
    encounterReconcileBatch: int(env, "ENCOUNTER_RECONCILE_BATCH", 500, 1, 100_000),
    migrateOnStart: (env.MIGRATE_ON_START ?? "true").toLowerCase() !== "false",
    logLevel: env.LOG_LEVEL || "info",
    rateLimits: {
      anonymousPerMinute: int(env, "RATE_LIMIT_ANONYMOUS_PER_MIN", 60, 0, 1_000_000),
      participantPerMinute: int(env, "RATE_LIMIT_PARTICIPANT_PER_MIN", 120, 0, 1_000_000),
      tenantPerMinute: int(env, "RATE_LIMIT_TENANT_PER_MIN", 6000, 0, 10_000_000),
    },
    streamsPerUser: int(env, "STREAMS_PER_USER", 10, 1, 10_000),
    allowEmbeddedDatabase: (env.ALLOW_EMBEDDED_DATABASE ?? "false").toLowerCase() === "true",
    trustProxyHops: int(env, "TRUST_PROXY", 0, 0, 10),
    outboxRetentionHours: int(env, "OUTBOX_RETENTION_HOURS", 72, 1, 8760),
    hstsMaxAgeSeconds: int(env, "HSTS_MAX_AGE_SECONDS", 31_536_000, 0, 63_072_000),
    metricsToken: env.METRICS_TOKEN || undefined,
    maxEventLoopDelayMs: int(env, "MAX_EVENT_LOOP_DELAY_MS", 0, 0, 60_000),
    database: {
      poolSize: int(env, "DB_POOL_SIZE", 10, 1, 1000),
      connectTimeoutMs: int(env, "DB_CONNECT_TIMEOUT_MS", 5000, 100, 600_000),
      statementTimeoutMs: int(env, "DB_STATEMENT_TIMEOUT_MS", 5000, 100, 3_600_000),
      idleInTransactionTimeoutMs: int(env, "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 30_000, 100, 3_600_000),
      startupTimeoutMs: int(env, "DB_STARTUP_TIMEOUT_MS", 120_000, 1000, 86_400_000),
    },
    http: {
      requestTimeoutMs: int(env, "HTTP_REQUEST_TIMEOUT_MS", 10_000, 100, 3_600_000),
      uploadTimeoutMs: int(env, "HTTP_UPLOAD_TIMEOUT_MS", 300_000, 100, 3_600_000),
      readinessTimeoutMs: int(env, "READINESS_TIMEOUT_MS", 2000, 100, 60_000),
    },
    connections: {
      headersTimeoutMs: int(env, "HTTP_HEADERS_TIMEOUT_MS", 10_000, 100, 600_000),
      keepAliveTimeoutMs: int(env, "HTTP_KEEP_ALIVE_TIMEOUT_MS", 65_000, 100, 600_000),
      // Above the waiting-room stream's 15 s keep-alive comment, so live streams are not cut.
      idleTimeoutMs: int(env, "HTTP_IDLE_TIMEOUT_MS", 30_000, 100, 3_600_000),
      maxConnectionsPerAddress: int(env, "HTTP_MAX_CONNECTIONS_PER_ADDRESS", 100, 0, 1_000_000),
    },
    shutdown: {
      drainMs: int(env, "SHUTDOWN_DRAIN_MS", 5000, 0, 600_000),
      timeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 25_000, 1000, 3_600_000),
    },
    clockSkewWarnSeconds: int(env, "CLOCK_SKEW_WARN_SECONDS", 5, 0, 86_400),
    webhooks: {
      allowPrivate: (env.WEBHOOK_ALLOW_PRIVATE ?? (mode === "development" ? "true" : "false")).toLowerCase() === "true",
      timeoutMs: int(env, "WEBHOOK_TIMEOUT_MS", 15_000, 100, 60_000),
      retryDelaysMs: delays(env, "WEBHOOK_RETRY_DELAYS_MS", DEFAULT_RETRY_DELAYS_MS),
      pollIntervalMs: int(env, "WEBHOOK_POLL_INTERVAL_MS", 1000, 10, 60_000),
      concurrency: int(env, "WEBHOOK_CONCURRENCY", 16, 1, 256),
      logRetentionHours: int(env, "WEBHOOK_LOG_RETENTION_HOURS", 720, 1, 8760),
    },
    events: {
      relayBatchSize: int(env, "RELAY_BATCH_SIZE", 200, 1, 1000),
      relayPollIntervalMs: int(env, "RELAY_POLL_INTERVAL_MS", 1000, 10, 60_000),
      schedulingConsumerName: env.SCHEDULING_CONSUMER_NAME || "virtual-care-scheduling",
      schedulingAckWaitMs: int(env, "SCHEDULING_ACK_WAIT_MS", 30_000, 1000, 3_600_000),
      schedulingMaxDeliver: int(env, "SCHEDULING_MAX_DELIVER", 10, 2, 1000),
    },
  };
}

/**
 * Outside development mode every key must be given: a replica that invented its own KMS or
 * join-token key would encrypt and sign with keys no other replica knows, and a dev staff secret
 * would let anyone holding the printed token in.
 */
export function assertProductionKeys(config: Config): void {
  if (config.mode === "development") return;
  const missing = [
    ...(config.auth.kind === "dev" ? ["AUTH_HS256_SECRET or AUTH_JWKS_URL"] : []),
    ...(config.kmsMasterKey ? [] : ["KMS_MASTER_KEY"]),
    ...(config.joinTokenKeys ? [] : ["JOIN_TOKEN_KEYS"]),
  ];
  if (missing.length > 0) {
    throw new ConfigError(
      `production mode (NODE_ENV=production or a production setting is present) needs ${missing.join(", ")}; development keys are only used by the embedded quick start`,
    );
  }
}

/**
 * Production mode runs on PostgreSQL unless the operator opts in to the embedded database
 * (issue 20: it ran PGlite as a superuser without a word). PGlite has one superuser, so the
 * tenant policies do not bind it, and it is one process's files, not a replicated database.
 */
export function assertProductionDatabase(config: Config): void {
  if (config.mode === "development" || config.databaseUrl || config.allowEmbeddedDatabase) return;
  throw new ConfigError(
    "production mode needs DATABASE_URL (PostgreSQL). The embedded PGlite runs as a superuser, so row-level security " +
      "does not separate tenants there; set ALLOW_EMBEDDED_DATABASE=true to run on it anyway (a single-tenant trial)",
  );
}

/** A comma-separated list of delays in milliseconds (1 to 20 of them, each up to a week). */
function delays(env: NodeJS.ProcessEnv, name: string, fallback: readonly number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === "") return [...fallback];
  const list = raw.split(",").map((v) => Number(v.trim()));
  if (list.length < 1 || list.length > 20 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 604_800_000)) {
    throw new ConfigError(`${name} must be 1 to 20 comma-separated delays in milliseconds (each up to 604800000)`);
  }
  return list;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}
