import { validationFailed } from "./errors.js";

export interface VideoBackend {
  name: string;
  provider: "jitsi";
  domain: string;
  appId: string;
  /** Envelope-encrypted secret (SecretStorePort); plaintext never lives in a stored config. */
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
}

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
    if (b.healthUrl !== null && !isHttpUrl(b.healthUrl)) {
      errors.push({ path: `/videoBackends/${i}/healthUrl`, message: "must be an http(s) URL without credentials" });
    }
  });
  if (errors.length > 0) throw validationFailed("tenant config is invalid", errors);
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
