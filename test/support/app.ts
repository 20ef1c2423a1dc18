import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { SignJWT } from "jose";
import pg from "pg";
import type { Clock } from "../../src/platform/ports.js";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { loadConfig, type Config } from "../../src/config.js";
import { createService, type Service } from "../../src/composition/create-service.js";
import { systemClock } from "../../src/composition/system-clock.js";
import { createTestDatabase, suitePool, type TestDatabase } from "./postgres.js";

export const STAFF_SECRET = "test-staff-secret-0123456789abcdef0123456789";
/** Fixed, so suites and child processes agree; derived, because production refuses repeated bytes (issue 20). */
const testKey = (label: string) => createHash("sha256").update(`vcs-test-key:${label}`).digest("base64");
export const KMS_KEY = testKey("kms");
/** Outside the quick start every key is required (issue 11); the tests' own join-token key. */
export const TEST_JOIN_TOKEN_KEYS = `test:${testKey("join-token")}`;

export { ManualClock } from "./clock.js";

export interface TestApp {
  service: Service;
  fhir: EmbeddedFhirServer;
  db: TestDatabase | null;
  /**
   * The database as its owner (PostgreSQL only): what a test inspects or rigs behind the service's
   * back. The service's own pool sees nothing outside a tenant's transaction (row-level security).
   */
  owner: pg.Pool;
  dataDir: string;
  request(opts: {
    method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
    url: string;
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface BootOptions {
  /** "postgres" (default): a fresh database on the local server; "pglite": embedded in a temp dir. */
  database?: "postgres" | "pglite";
  clock?: Clock;
  /**
   * Judges staff tokens' expiry. Default: the real time, which `staffToken()` signs in, even when
   * `clock` is moved by hand; a test of staff-token expiry passes its own.
   */
  staffTokenClock?: Clock;
  env?: Record<string, string>;
  logStream?: { write(line: string): void };
  /** Rewrites the test database's URL the service uses (e.g. through a TCP proxy). */
  routeDatabase?: (url: string) => string;
}

/** Boots the real service in-process against real PostgreSQL (or PGlite) and a real FHIR server. */
export async function bootApp(options: BootOptions = {}): Promise<TestApp> {
  const db = options.database === "pglite" ? null : await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-test-"));
  const fhir = new EmbeddedFhirServer();
  const fhirBaseUrl = await fhir.start();
  const config: Config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    AUTH_HS256_SECRET: STAFF_SECRET,
    KMS_MASTER_KEY: KMS_KEY,
    JOIN_TOKEN_KEYS: TEST_JOIN_TOKEN_KEYS,
    // Suites drive many requests from one address; test/security/rate-limits.test.ts turns them on.
    RATE_LIMIT_ANONYMOUS_PER_MIN: "0",
    RATE_LIMIT_PARTICIPANT_PER_MIN: "0",
    RATE_LIMIT_TENANT_PER_MIN: "0",
    FHIR_BASE_URL: fhirBaseUrl,
    VIDEO_HEALTH_CACHE_MS: "0",
    // The tests' Jitsi health stubs listen on loopback.
    VIDEO_HEALTH_ALLOW_PRIVATE: "true",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // The service connects as a role that owns nothing (row-level security holds); the owner migrates.
    // PGlite suites run in production mode (keys are set): the embedded database is their explicit choice.
    ...(db ? {} : { ALLOW_EMBEDDED_DATABASE: "true" }),
    ...(db
      ? {
          DATABASE_URL: options.routeDatabase ? options.routeDatabase(db.serviceUrl) : db.serviceUrl,
          MIGRATION_DATABASE_URL: options.routeDatabase ? options.routeDatabase(db.url) : db.url,
        }
      : {}),
    ...options.env,
  });
  const service = await createService(config, { clock: options.clock, staffTokenClock: options.staffTokenClock ?? systemClock, logStream: options.logStream });
  await service.app.ready();
  let owner: pg.Pool | undefined;
  return {
    service,
    fhir,
    db,
    get owner() {
      if (!db) throw new Error("owner: PostgreSQL suites only");
      return (owner ??= suitePool(db.url, 2));
    },
    dataDir,
    request: ({ method, url, token, body, headers }) =>
      service.app.inject({
        method,
        url,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        payload: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      await service.close();
      await owner?.end();
      await fhir.stop();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Role = "clinician" | "scheduler" | "admin" | "platform_admin";

export function staffToken(tenantId: string, roles: Role[], sub = "user-1", expiresIn = "1h"): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(STAFF_SECRET));
}

export interface BackendSpec {
  name: string;
  domain?: string;
  healthUrl?: string | null;
  maxConcurrentRooms?: number | null;
  secret?: string;
}

/** Licenses and configures a tenant through the public API (as a platform admin would). */
export async function configureTenant(
  app: TestApp,
  tenantId: string,
  config: Record<string, unknown> & { videoBackends?: BackendSpec[] } = {},
): Promise<Record<string, unknown>> {
  const token = await staffToken(tenantId, ["admin", "platform_admin"]);
  const backends = (config.videoBackends ?? [{ name: "primary" }]).map((b) => ({
    provider: "jitsi",
    domain: b.domain ?? `${b.name}.meet.example.org`,
    appId: "vcs-test",
    secret: b.secret ?? `secret-for-${b.name}-0123456789abcdef`,
    healthUrl: b.healthUrl ?? null,
    maxConcurrentRooms: b.maxConcurrentRooms ?? null,
    name: b.name,
  }));
  const res = await app.request({
    method: "PUT",
    url: "/v1/tenant-config",
    token,
    body: { licensed: true, consentRequired: false, ...config, videoBackends: backends },
  });
  if (res.statusCode !== 200) throw new Error(`configureTenant failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export function sessionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    patientId: "patient-1",
    providerId: "dr-1",
    scheduledStart: "2026-12-01T10:00:00.000Z",
    scheduledEnd: "2026-12-01T10:30:00.000Z",
    ...overrides,
  };
}
