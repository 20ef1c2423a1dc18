import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { PooledTenantConfigRepository } from "../adapters/postgres/repositories/tenant-config-repository.js";
import type { Config } from "../config.js";
import type { Clock } from "../platform/ports.js";
import { devSecret } from "../dev/dev-secrets.js";
import { buildHttpApp } from "../http/app.js";
import { staffAuthenticator, type StaffAuthConfig } from "../http/auth.js";
import { participantAuthenticator } from "../http/participant-auth.js";
import type { Adapters } from "./adapters.js";
import type { Features } from "./features.js";
import type { Infrastructure } from "./infrastructure.js";
import { tokenTenant } from "./join-token-keys.js";

/** Step 4 of the composition root: the HTTP shell around the features' routes (not listening yet). */
export async function buildApp(
  config: Config,
  infra: Infrastructure,
  a: Adapters,
  features: Features,
  draining: () => boolean,
  staffTokenClock: Clock,
): Promise<{ app: FastifyInstance; staffJwtSecret?: string }> {
  const { staffAuth, staffJwtSecret } = staffAuthFrom(config);
  const app = await buildHttpApp({
    features: features.routes,
    tracing: infra.tracing?.httpPlugin,
    authenticateStaff: staffAuthenticator(staffAuth, staffTokenClock),
    ready: () => infra.database.ping(),
    draining,
    metricsRegistry: a.metricsRegistry,
    logger: infra.log,
    timeouts: config.http,
    connections: config.connections,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    securityHeaders: { hstsMaxAgeSeconds: config.hstsMaxAgeSeconds, behindTls: config.publicBaseUrl.startsWith("https://") },
    metricsToken: config.metricsToken,
    rateLimits: config.rateLimits,
    // Looked up at each call (not bound once): a test may count the signer's verifications.
    authenticateParticipant: participantAuthenticator((token) => a.signer.verify(token)),
    streamsPerUser: config.streamsPerUser,
    trustProxyHops: config.trustProxyHops,
    audit: a.shared.audit,
    eventCatalog: { asyncApiFile: fileURLToPath(new URL("../../docs/asyncapi.yaml", import.meta.url)), publicBaseUrl: config.publicBaseUrl },
    web: {
      distDir: fileURLToPath(new URL("../../web/dist", import.meta.url)),
      // A link whose token does not verify still gets its page (to show why), with no video domain.
      domainsForJoinToken: async (token) => videoDomains(a.tenantConfigs, tokenTenant(a.signer, token)),
      oidc: config.consoleOidc,
    },
  });
  return { app, staffJwtSecret };
}

/** Staff JWTs: the configured verifier, or in development an HS256 secret kept in DATA_DIR. */
function staffAuthFrom(config: Config): { staffAuth: StaffAuthConfig; staffJwtSecret?: string } {
  if (config.auth.kind === "dev") {
    const secret = devSecret(config.dataDir, "auth-hs256-secret").toString("base64url");
    return { staffAuth: { kind: "hs256", secret }, staffJwtSecret: secret };
  }
  return { staffAuth: config.auth, staffJwtSecret: config.auth.kind === "hs256" ? config.auth.secret : undefined };
}

/** The domains a tenant's pages may load video from (CSP): its configured backends, nothing else. */
async function videoDomains(configs: PooledTenantConfigRepository, tenantId: string | null): Promise<string[]> {
  if (tenantId === null || tenantId.length > 200) return [];
  const config = await configs.get(tenantId);
  return config?.videoBackends.map((b) => b.domain) ?? [];
}
