import { Type, type Static } from "@sinclair/typebox";

/** Shapes of the tenant-config routes; `TenantConfigView` (what GET answers) is derived from the schema. */
export const REDACTED = "[REDACTED]";

const BackendCommon = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$" }),
  provider: Type.Literal("jitsi"),
  domain: Type.String({ minLength: 3, maxLength: 253 }),
  appId: Type.String({ minLength: 1, maxLength: 128 }),
  healthUrl: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 2048 })])),
  maxConcurrentRooms: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 100000 })])),
};

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
      Type.Object(
        {
          ...BackendCommon,
          // "[REDACTED]" (what GET shows) keeps the stored secret, so GET → edit → PUT round-trips.
          secret: Type.Optional(Type.Union([Type.Literal(REDACTED), Type.String({ minLength: 16, maxLength: 512 })])),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 2 },
    ),
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
      Type.Object({
        name: Type.String(),
        provider: Type.Literal("jitsi"),
        domain: Type.String(),
        appId: Type.String(),
        secret: Type.Literal(REDACTED),
        healthUrl: Type.Union([Type.String(), Type.Null()]),
        maxConcurrentRooms: Type.Union([Type.Integer(), Type.Null()]),
      }),
      { maxItems: 2 },
    ),
  },
  { $id: "TenantConfig" },
);

export type TenantConfigView = Static<typeof TenantConfig>;
