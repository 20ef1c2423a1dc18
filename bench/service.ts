import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import pg from "pg";
import { startChild, freePort, type Child } from "./child.js";
import { BENCH_JOIN_TOKEN_KEYS } from "./join-scenarios.js";

export const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const STAFF_SECRET = "bench-staff-secret-0123456789abcdef0123456789";
const KMS_KEY = createHash("sha256").update("vcs-bench:kms").digest("base64");

export interface BenchDatabase {
  name: string;
  /** The owner's (a superuser's): migrations, seeding, the limit servers. */
  url: string;
  /** The same database as SERVICE_ROLE: the service connects with it, as in production. */
  serviceUrl: string;
  drop(): Promise<void>;
}

/** The service's role (docs/operations.md): owns nothing, so row-level security holds and costs what it costs. */
const SERVICE_ROLE = "vcs_service_bench";

/** A fresh database per run: figures never depend on what an earlier run left behind. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `vcs_bench_${randomBytes(4).toString("hex")}`;
  await adminQuery(
    `do $$ begin if not exists (select 1 from pg_roles where rolname = '${SERVICE_ROLE}') then create role ${SERVICE_ROLE} login; end if; end $$`,
  );
  await adminQuery(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const serviceUrl = new URL(url);
  serviceUrl.username = SERVICE_ROLE;
  serviceUrl.password = "";
  return { name, url: url.toString(), serviceUrl: serviceUrl.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

export async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** The production build (`tsc -p tsconfig.build.json`), run as `node dist/main.js` would be. */
export function buildService(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}

export interface ServiceOptions {
  databaseUrl?: string;
  /** The owner, for migrations (MIGRATION_DATABASE_URL), when the service connects as another role. */
  migrationUrl?: string;
  fhirBaseUrl?: string;
  dataDir: string;
  nodeFlags?: string[];
}

/**
 * The node flags the service runs with, so the bench measures what is deployed: on PostgreSQL the
 * container image's (the Dockerfile's CMD, `node <flags> dist/main.js`), on PGlite the embedded
 * quick start's (package.json's start script). docs/decisions.md says why they differ.
 */
export function startFlags(engine: "postgres" | "pglite"): string[] {
  const command =
    engine === "postgres"
      ? (JSON.parse(/^CMD (.*)$/m.exec(readFileSync("Dockerfile", "utf8"))?.[1] ?? "[]") as string[]).join(" ")
      : (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start;
  const m = /^node\s+(.*?)\s*dist\/main\.js$/.exec(command.trim());
  if (!m) throw new Error(`the ${engine} start command is not "node [flags] dist/main.js": ${command}`);
  return m[1] ? m[1].split(/\s+/) : [];
}

export async function startService(options: ServiceOptions): Promise<Child> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AUTH_HS256_SECRET: STAFF_SECRET,
    KMS_MASTER_KEY: KMS_KEY,
    JOIN_TOKEN_KEYS: BENCH_JOIN_TOKEN_KEYS,
    // The bench drives thousands of requests per second from one address and one tenant.
    RATE_LIMIT_ANONYMOUS_PER_MIN: "0",
    RATE_LIMIT_PARTICIPANT_PER_MIN: "0",
    RATE_LIMIT_TENANT_PER_MIN: "0",
    // Load generators open many connections from one address (the per-address cap is for the open internet).
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: "0",
    DATA_DIR: options.dataDir,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    // The PGlite run measures the embedded default; production mode needs that said (issue 20).
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { ALLOW_EMBEDDED_DATABASE: "true" }),
    ...(options.migrationUrl ? { MIGRATION_DATABASE_URL: options.migrationUrl } : {}),
    ...(options.fhirBaseUrl ? { FHIR_BASE_URL: options.fhirBaseUrl } : {}),
    // For experiments only: BENCH_SERVICE_ENV='{"RELAY_POLL_INTERVAL_MS":"60000"}' changes the
    // service's settings for one run (e.g. to rule a background worker in or out as a cost).
    ...(JSON.parse(process.env.BENCH_SERVICE_ENV ?? "{}") as Record<string, string>),
  };
  const label = options.databaseUrl ? "service (PostgreSQL)" : "service (PGlite)";
  return startChild(label, process.execPath, [...startFlags(options.databaseUrl ? "postgres" : "pglite"), ...(options.nodeFlags ?? []), "dist/main.js"], env, await freePort());
}

export function staffToken(tenant: string, roles: string[]): Promise<string> {
  return new SignJWT({ tenant_id: tenant, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("bench-user")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(STAFF_SECRET));
}

/** Licenses tenants through the public API, as a platform admin would: no consent, no health URL. */
export async function licenseTenants(url: string, tenants: string[]): Promise<void> {
  for (const tenant of tenants) {
    const res = await fetch(`${url}/v1/tenant-config`, {
      method: "PUT",
      headers: { authorization: `Bearer ${await staffToken(tenant, ["admin", "platform_admin"])}`, "content-type": "application/json" },
      body: JSON.stringify({
        licensed: true,
        consentRequired: false,
        videoBackends: [
          { name: "primary", provider: "jitsi", domain: "primary.meet.example.org", appId: "vcs-bench", secret: "bench-secret-0123456789abcdef0123", healthUrl: null, maxConcurrentRooms: null },
        ],
      }),
    });
    if (res.status !== 200) throw new Error(`licensing ${tenant} failed: ${res.status} ${await res.text()}`);
  }
}
