import { DomainError } from "../domain/errors.js";
import type { TenantConfig } from "../domain/tenant-config.js";
import type { TenantConfigRepository } from "./ports.js";

export const LICENSING_URL = "https://docs.virtual-care.example/licensing";

/** MODULE_NOT_LICENSED: an unlicensed tenant (or one with no config at all) cannot run virtual care. */
export async function loadLicensedConfig(configs: TenantConfigRepository, tenantId: string): Promise<TenantConfig> {
  return assertLicensed(await configs.get(tenantId));
}

/** The config, when it licenses virtual care; MODULE_NOT_LICENSED otherwise. */
export function assertLicensed(config: TenantConfig | null): TenantConfig {
  if (!config || !config.licensed) {
    throw new DomainError("MODULE_NOT_LICENSED", "the virtual care module is not licensed for this tenant", {
      licensingUrl: LICENSING_URL,
    });
  }
  return config;
}
