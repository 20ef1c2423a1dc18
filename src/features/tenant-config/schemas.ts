import { Type, type Static } from "@sinclair/typebox";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_LIMITS, WEBHOOK_SECRET_PATTERN } from "../../domain/webhooks.js";

/** Shapes of the tenant-config routes; `TenantConfigView` (what GET answers) is derived from the schema. */
export const REDACTED = "[REDACTED]";

const BackendCommon = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$" }),
  healthUrl: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 2048 })])),
  maxConcurrentRooms: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 100000 })])),
};
const JitsiFields = {
  provider: Type.Literal("jitsi", { description: "self-hosted Jitsi Meet with token authentication (HS256 with the app secret)" }),
  domain: Type.String({ minLength: 3, maxLength: 253 }),
  appId: Type.String({ minLength: 1, maxLength: 128 }),
};
const JaasAppId = Type.String({ pattern: "^vpaas-magic-cookie-[0-9a-f]{16,64}$", maxLength: 83, description: "the JaaS AppID (vpaas-magic-cookie-…)" });
const JaasKeyId = Type.String({ maxLength: 148, description: "the API key id from the JaaS console: the AppID, a slash and the key's id (the JWT's kid)" });
const JaasFields = {
  provider: Type.Literal("jaas", { description: "8x8 Jitsi as a Service (RS256 with the API key's private key; rooms under the AppID)" }),
  domain: Type.String({ minLength: 3, maxLength: 253, description: "8x8.vc unless 8x8 gave another meeting domain" }),
  appId: JaasAppId,
  keyId: JaasKeyId,
};

const Text = (maxLength: number, description: string) => Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength, description })]);
/** The clinic's identity on the patient's pages; every field may be null (not shown). */
const BrandingFields = {
  displayName: Text(100, "the clinic's name as patients know it"),
  logoUrl: Text(2048, "https URL of the logo image"),
  accentColor: Type.Union([Type.Null(), Type.String({ maxLength: 7, pattern: "^#[0-9A-Fa-f]{6}$", description: "#rrggbb" })]),
  contactPhone: Text(32, "a phone number patients may call"),
  contactUrl: Text(2048, "https URL of the clinic's contact page"),
};
const WebhookFields = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$", description: "unique in the tenant; names the endpoint in the delivery log" }),
  url: Type.String({ minLength: 8, maxLength: 2048, description: "https URL of the receiver (public addresses only); never shown in events or logs" }),
  eventTypes: Type.Array(Type.String({ enum: [...WEBHOOK_EVENT_TYPES] }), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true, description: "the event types delivered to it" }),
};
const WebhookSecret = Type.String({ pattern: WEBHOOK_SECRET_PATTERN, maxLength: 96, description: "a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes" });
const WebhookBody = Type.Object(
  {
    ...WebhookFields,
    // "[REDACTED]" or omitted keeps the stored secret; a new endpoint without one gets a generated one.
    secret: Type.Optional(Type.Union([Type.Literal(REDACTED), WebhookSecret])),
  },
  { additionalProperties: false },
);
const WebhookView = Type.Object({
  ...WebhookFields,
  secret: Type.Union([Type.Literal(REDACTED), WebhookSecret], {
    description: "write-only: [REDACTED], except in the answer to the PUT that generated it (shown that once)",
  }),
});

export const BrandingBody = Type.Partial(Type.Object(BrandingFields, { additionalProperties: false }), { additionalProperties: false });
export const Branding = Type.Object(BrandingFields);

export const TenantConfigBody = Type.Object(
  {
    tenantId: Type.Optional(Type.String({ maxLength: 128, description: "ignored when it names the caller's tenant; any other tenant is refused" })),
    version: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: "the version you read; used as If-Match when that header is absent" })),
    licensed: Type.Optional(Type.Boolean()),
    maxParticipants: Type.Optional(Type.Integer({ minimum: 2, maximum: 50 })),
    waitingRoomEnabled: Type.Optional(Type.Boolean()),
    consentRequired: Type.Optional(Type.Boolean()),
    joinTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    fallbackBandwidthKbps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
    aiSummaryEnabled: Type.Optional(Type.Boolean()),
    videoBackends: Type.Array(
      Type.Union([
        Type.Object(
          {
            ...BackendCommon,
            ...JitsiFields,
            // "[REDACTED]" (what GET shows) keeps the stored secret, so GET → edit → PUT round-trips.
            secret: Type.Optional(Type.Union([Type.Literal(REDACTED), Type.String({ minLength: 16, maxLength: 512 })])),
          },
          { additionalProperties: false, title: "JitsiBackendInput" },
        ),
        Type.Object(
          {
            ...BackendCommon,
            ...JaasFields,
            domain: Type.Optional(JaasFields.domain),
            privateKey: Type.Optional(
              Type.Union([Type.Literal(REDACTED), Type.String({ minLength: 100, maxLength: 8192, description: "the API key's RSA private key, PEM (PKCS#8 or PKCS#1); write-only" })]),
            ),
          },
          { additionalProperties: false, title: "JaasBackendInput" },
        ),
      ]),
      { minItems: 1, maxItems: 2 },
    ),
    branding: Type.Optional(BrandingBody),
    webhooks: Type.Optional(Type.Array(WebhookBody, { maxItems: WEBHOOK_LIMITS.endpoints, description: "Standard Webhooks receivers (omitted: none)" })),
  },
  { additionalProperties: false },
);

export const TenantConfig = Type.Object(
  {
    tenantId: Type.String(),
    version: Type.Integer(),
    licensed: Type.Boolean(),
    maxParticipants: Type.Integer(),
    waitingRoomEnabled: Type.Boolean(),
    consentRequired: Type.Boolean(),
    joinTokenTtlSeconds: Type.Integer(),
    fallbackBandwidthKbps: Type.Number(),
    aiSummaryEnabled: Type.Boolean(),
    videoBackends: Type.Array(
      Type.Union([
        Type.Object({ name: Type.String(), ...JitsiFields, secret: Type.Literal(REDACTED), healthUrl: Type.Union([Type.String(), Type.Null()]), maxConcurrentRooms: Type.Union([Type.Integer(), Type.Null()]) }, { title: "JitsiBackend" }),
        Type.Object(
          { name: Type.String(), ...JaasFields, privateKey: Type.Literal(REDACTED), healthUrl: Type.Union([Type.String(), Type.Null()]), maxConcurrentRooms: Type.Union([Type.Integer(), Type.Null()]) },
          { title: "JaasBackend" },
        ),
      ]),
      { maxItems: 2 },
    ),
    branding: Branding,
    webhooks: Type.Array(WebhookView, { maxItems: WEBHOOK_LIMITS.endpoints }),
  },
  { $id: "TenantConfig" },
);

export type TenantConfigView = Static<typeof TenantConfig>;
