import type { TenantConfig } from "../../domain/tenant-config.js";
import { REDACTED, type TenantConfigView } from "./schemas.js";

/** Secrets never come back, not even encrypted. */
export function tenantConfigView(config: TenantConfig): TenantConfigView {
  const { videoBackends, ...rest } = config;
  return {
    ...rest,
    videoBackends: videoBackends.map(({ secretEnvelope: _sealed, ...b }) => ({ ...b, secret: REDACTED })),
  };
}
