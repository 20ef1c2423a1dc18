import { validationFailed } from "./errors.js";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_LIMITS, type WebhookEndpoint } from "./webhooks.js";

/**
 * `jitsi`: a self-hosted Jitsi Meet with token auth (HS256, the app secret). `jaas`: 8x8's Jitsi as
 * a Service (RS256 with the API key's private key; rooms live under the AppID on 8x8.vc).
 */
export type VideoProvider = "jitsi" | "jaas";

export interface VideoBackend {
  name: string;
  provider: VideoProvider;
  domain: string;
  /** jitsi: the token module's app id (`iss`). jaas: the AppID, `vpaas-magic-cookie-<hex>` (`sub`, the room's path prefix). */
  appId: string;
  /** jaas only: the API key id, `<AppID>/<key>` (the JWT header's `kid`); absent or null for jitsi. */
  keyId?: string | null;
  /**
   * Envelope-encrypted credential (SecretStorePort); plaintext never lives in a stored config.
   * jitsi: the app secret; jaas: the API key's RSA private key (PKCS#8 PEM).
   */
  secretEnvelope: string;
  healthUrl: string | null;
  maxConcurrentRooms: number | null;
}

export interface TenantConfig {
  tenantId: string;
  version: number;
  licensed: boolean;
  maxParticipants: number;
  waitingRoomEnabled: boolean;
  consentRequired: boolean;
  joinTokenTtlSeconds: number;
  fallbackBandwidthKbps: number;
  aiSummaryEnabled: boolean;
  videoBackends: VideoBackend[];
  /** What patients see of the clinic; absent in configs stored before it existed (read as none). */
  branding?: ClinicBranding;
  /** Standard Webhooks receivers of the tenant's events; absent in configs stored before them (none). */
  webhooks?: WebhookEndpoint[];
}

/** The clinic's identity on the patient's pages (issue 19 item 7). Every field is optional (null). */
export interface ClinicBranding {
  displayName: string | null;
  /** https only: shown on a page whose own requests are https in production. */
  logoUrl: string | null;
  /** `#rrggbb`. */
  accentColor: string | null;
  contactPhone: string | null;
  /** https only. */
  contactUrl: string | null;
}

export const NO_BRANDING: ClinicBranding = { displayName: null, logoUrl: null, accentColor: null, contactPhone: null, contactUrl: null };

/** The defaults of `GET /v1/tenant-config`. A tenant with no stored config is this: unlicensed and without backends. */
export function defaultTenantConfig(tenantId: string): TenantConfig {
  return {
    tenantId,
    version: 0,
    licensed: false,
    maxParticipants: 6,
    waitingRoomEnabled: true,
    consentRequired: true,
    joinTokenTtlSeconds: 3600,
    fallbackBandwidthKbps: 150,
    aiSummaryEnabled: false,
    videoBackends: [],
  };
}

export const LIMITS = {
  maxParticipants: { min: 2, max: 50 },
  joinTokenTtlSeconds: { min: 60, max: 86400 },
  videoBackends: { min: 1, max: 2 },
} as const;

/** JaaS names an app by its AppID (8x8's docs: the `vpaas-magic-cookie-` prefix and the app's unique id). */
export const JAAS_APP_ID = /^vpaas-magic-cookie-[0-9a-f]{16,64}$/;
export const JAAS_DOMAIN = "8x8.vc";

/** Rules a whole config must satisfy beyond the per-field ranges the HTTP schema already checks. */
export function assertValidTenantConfig(config: TenantConfig): void {
  const errors: Array<{ path: string; message: string }> = [];
  const { maxParticipants: mp, joinTokenTtlSeconds: ttl, videoBackends: vb } = LIMITS;
  if (!Number.isInteger(config.maxParticipants) || config.maxParticipants < mp.min || config.maxParticipants > mp.max) {
    errors.push({ path: "/maxParticipants", message: `must be an integer from ${mp.min} to ${mp.max}` });
  }
  if (!Number.isInteger(config.joinTokenTtlSeconds) || config.joinTokenTtlSeconds < ttl.min || config.joinTokenTtlSeconds > ttl.max) {
    errors.push({ path: "/joinTokenTtlSeconds", message: `must be an integer from ${ttl.min} to ${ttl.max}` });
  }
  if (!(config.fallbackBandwidthKbps > 0)) {
    errors.push({ path: "/fallbackBandwidthKbps", message: "must be greater than 0" });
  }
  if (config.videoBackends.length < vb.min || config.videoBackends.length > vb.max) {
    errors.push({ path: "/videoBackends", message: "one or two backends: the first is the primary" });
  }
  const names = new Set<string>();
  config.videoBackends.forEach((b, i) => {
    if (names.has(b.name)) errors.push({ path: `/videoBackends/${i}/name`, message: "backend names must be unique" });
    names.add(b.name);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/i.test(b.domain)) {
      errors.push({ path: `/videoBackends/${i}/domain`, message: "must be a host name such as meet.example.org" });
    }
    if (b.provider === "jaas") {
      if (!JAAS_APP_ID.test(b.appId)) errors.push({ path: `/videoBackends/${i}/appId`, message: "must be the JaaS AppID (vpaas-magic-cookie-…)" });
      // 8x8 finds the public key by the kid, which is the AppID, a slash and the key's own id.
      if (!b.keyId || !b.keyId.startsWith(`${b.appId}/`) || !/^[A-Za-z0-9_-]{1,64}$/.test(b.keyId.slice(b.appId.length + 1))) {
        errors.push({ path: `/videoBackends/${i}/keyId`, message: "must be the API key id: the AppID, a slash and the key id" });
      }
    }
    if (b.healthUrl !== null && !isHttpUrl(b.healthUrl)) {
      errors.push({ path: `/videoBackends/${i}/healthUrl`, message: "must be an http(s) URL without credentials" });
    }
  });
  const hooks = config.webhooks ?? [];
  if (hooks.length > WEBHOOK_LIMITS.endpoints) errors.push({ path: "/webhooks", message: `at most ${WEBHOOK_LIMITS.endpoints} endpoints` });
  const hookNames = new Set<string>();
  hooks.forEach((h, i) => {
    if (hookNames.has(h.name)) errors.push({ path: `/webhooks/${i}/name`, message: "endpoint names must be unique" });
    hookNames.add(h.name);
    if (!isHttpUrl(h.url) || new URL(h.url).hash !== "") errors.push({ path: `/webhooks/${i}/url`, message: "must be an http(s) URL without credentials or fragment" });
    if (h.eventTypes.length === 0 || new Set(h.eventTypes).size !== h.eventTypes.length || h.eventTypes.some((t) => !WEBHOOK_EVENT_TYPES.includes(t))) {
      errors.push({ path: `/webhooks/${i}/eventTypes`, message: "one or more distinct published event types" });
    }
  });
  const b = config.branding ?? NO_BRANDING;
  for (const k of ["logoUrl", "contactUrl"] as const) {
    if (b[k] !== null && !isHttpsUrl(b[k])) errors.push({ path: `/branding/${k}`, message: "must be an https URL without credentials" });
  }
  if (b.accentColor !== null && !/^#[0-9a-f]{6}$/i.test(b.accentColor)) errors.push({ path: "/branding/accentColor", message: "must be a colour such as #0b5394" });
  if (b.contactPhone !== null && !/^\+?[0-9][0-9 ().-]{2,30}$/.test(b.contactPhone)) {
    errors.push({ path: "/branding/contactPhone", message: "must be a phone number such as +1 555 0100" });
  }
  if (errors.length > 0) throw validationFailed("tenant config is invalid", errors);
}

function isHttpsUrl(value: string): boolean {
  return isHttpUrl(value) && value.startsWith("https://");
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    // No user:password@ part: the URL is shown in events and diagnostics.
    return (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}
