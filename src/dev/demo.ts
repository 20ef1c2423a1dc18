import { randomUUID } from "node:crypto";
import type { Patient } from "@medplum/fhirtypes";
import { SignJWT } from "jose";
import { TENANT_TAG_SYSTEM } from "../adapters/fhir/fhir-gateway.js";
import { rsaPrivateKeyPem } from "../adapters/jitsi/jaas.js";
import { StandardWebhookTargets } from "../adapters/webhooks/webhook-targets.js";
import { LocalKmsSecretStore } from "../adapters/kms/local-kms-secret-store.js";
import { PooledTenantConfigRepository } from "../adapters/postgres/repositories/tenant-config-repository.js";
import { OutboxAudit, PostgresUnitOfWork } from "../adapters/postgres/repositories/unit-of-work.js";
import { UpdateTenantConfig } from "../features/tenant-config/update-tenant-config.js";
import type { Clock } from "../platform/ports.js";
import { devSecret } from "./dev-secrets.js";

/**
 * The embedded quick start only (no DATABASE_URL, no auth setting): a demo tenant and a bearer
 * token to try the API with. Never used when the service is configured for real.
 */
export const DEMO_TENANT = "demo-clinic";
/** The demo backend's JWT app id: compose.yaml's Jitsi profile (JWT_APP_ID) expects this one. */
export const DEMO_VIDEO_APP_ID = "demo";

/**
 * The demo tenant: licensed, no consent needed, one Jitsi backend. Created once. By default the
 * public meet.jit.si with a random secret (its rooms are open anyway); `video` points it at a
 * local Jitsi with JWT auth (compose.yaml, profile jitsi) whose app secret it must share.
 */
export async function seedDemoTenant(
  db: ConstructorParameters<typeof PostgresUnitOfWork>[0],
  dataDir: string,
  clock: Clock,
  video: { domain?: string; appSecret?: string } = {},
): Promise<void> {
  if (await new PooledTenantConfigRepository(db).get(DEMO_TENANT)) return;
  const secrets = new LocalKmsSecretStore(devSecret(dataDir, "kms-master-key"));
  await new UpdateTenantConfig({ uow: new PostgresUnitOfWork(db, clock), secrets, videoKeys: { rsaPrivateKeyPem }, webhookTargets: new StandardWebhookTargets(true), audit: new OutboxAudit(db, clock), clock }).execute(
    { kind: "system", tenantId: DEMO_TENANT, name: "demo-seed" },
    {
      licensed: true,
      consentRequired: false,
      videoBackends: [
        {
          name: video.domain ? "local-jitsi" : "public-jitsi",
          provider: "jitsi",
          domain: video.domain ?? "meet.jit.si",
          appId: DEMO_VIDEO_APP_ID,
          secret: video.appSecret ?? randomUUID() + randomUUID(),
        },
      ],
    },
  );
}

/** A staff bearer token signed with the dev HS256 secret (printed by `npm start`, used by tests). */
export async function devToken(secret: string, tenantId: string, roles: string[], hours = 12): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("dev-user")
    .setIssuedAt()
    .setExpirationTime(`${hours}h`) // under the 24 h horizon staff tokens may have
    .sign(new TextEncoder().encode(secret));
}

const patient = (id: string, given: string[], family: string, birthDate: string, gender: Patient["gender"]): Patient => ({
  resourceType: "Patient",
  id,
  // The demo tenant's patients: names are only ever shown to the tenant a patient is tagged with.
  meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: DEMO_TENANT }] },
  name: [{ use: "official", given, family }],
  birthDate,
  gender,
});

/**
 * Fictional patients for the quick start's embedded FHIR server, so the console's create form has
 * names to find (e.g. "ana", "garcía"). Invented names and dates; no real person.
 */
export const DEMO_PATIENTS: Patient[] = [
  patient("demo-ana-garcia", ["Ana", "María"], "García López", "1984-03-12", "female"),
  patient("demo-tomas-okafor", ["Tomás"], "Okafor", "1957-11-02", "male"),
  patient("demo-lucia-fernandez", ["Lucía"], "Fernández Ruiz", "2001-07-23", "female"),
  patient("demo-samuel-lindqvist", ["Samuel"], "Lindqvist", "1972-01-30", "male"),
  patient("demo-amara-nwosu", ["Amara"], "Nwosu", "1990-09-15", "female"),
  patient("demo-jon-etxeberria", ["Jon"], "Etxeberria", "1965-05-08", "male"),
];
