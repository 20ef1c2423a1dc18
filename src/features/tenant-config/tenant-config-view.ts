import type { TenantConfig } from "../../domain/tenant-config.js";

export const REDACTED = "[REDACTED]";

export interface TenantConfigView {
  tenantId: string;
  version: number;
  licensed: boolean;
  maxParticipants: number;
  waitingRoomEnabled: boolean;
  consentRequired: boolean;
  joinTokenTtlSeconds: number;
  fallbackBandwidthKbps: number;
  aiSummaryEnabled: boolean;
  videoBackends: Array<{
    name: string;
    provider: "jitsi";
    domain: string;
    appId: string;
    secret: typeof REDACTED;
    healthUrl: string | null;
    maxConcurrentRooms: number | null;
  }>;
}

/** Contract §6: secrets never come back, not even encrypted. */
export function tenantConfigView(config: TenantConfig): TenantConfigView {
  const { videoBackends, ...rest } = config;
  return {
    ...rest,
    videoBackends: videoBackends.map(({ secretEnvelope: _sealed, ...b }) => ({ ...b, secret: REDACTED })),
  };
}
