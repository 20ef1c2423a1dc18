/** Runtime configuration (README "Configuration") from the environment, checked once at start. */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  natsUrl?: string;
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
  migrateOnStart: boolean;
  logLevel: string;
  /** Outbox relay and scheduling consumer (README "Configuration"). */
  events: {
    relayBatchSize: number;
    relayPollIntervalMs: number;
    schedulingConsumerName: string;
    schedulingAckWaitMs: number;
  };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, "PORT", 8080, 0, 65535);
  const issuer = env.AUTH_ISSUER || undefined;
  const audience = env.AUTH_AUDIENCE || undefined;
  let auth: Config["auth"] = { kind: "dev" };
  if (env.AUTH_JWKS_URL) auth = { kind: "jwks", url: env.AUTH_JWKS_URL, issuer, audience };
  else if (env.AUTH_HS256_SECRET) {
    if (env.AUTH_HS256_SECRET.length < 32) throw new ConfigError("AUTH_HS256_SECRET must be at least 32 characters");
    auth = { kind: "hs256", secret: env.AUTH_HS256_SECRET, issuer, audience };
  }
  return {
    port,
    host: env.HOST || "0.0.0.0",
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || "./data",
    natsUrl: env.NATS_URL || undefined,
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
    migrateOnStart: (env.MIGRATE_ON_START ?? "true").toLowerCase() !== "false",
    logLevel: env.LOG_LEVEL || "info",
    events: {
      relayBatchSize: int(env, "RELAY_BATCH_SIZE", 200, 1, 1000),
      relayPollIntervalMs: int(env, "RELAY_POLL_INTERVAL_MS", 1000, 10, 60_000),
      schedulingConsumerName: env.SCHEDULING_CONSUMER_NAME || "virtual-care-scheduling",
      schedulingAckWaitMs: int(env, "SCHEDULING_ACK_WAIT_MS", 30_000, 1000, 3_600_000),
    },
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}
