import type { TenantConfig } from "../domain/tenant-config.js";
import type { TenantConfigRepository } from "./ports.js";

/** Tenants whose config is kept; past this the oldest read is forgotten first. */
const MAX_TENANTS = 10_000;

/**
 * The tenant configs this process read last, for a command that decides on one and lets its
 * transaction check the version at commit (`assertVersion`) instead of reading it again first.
 * Nothing here is trusted on its own: a remembered config is only ever a guess the commit checks.
 */
export class RememberedTenantConfigs implements TenantConfigRepository {
  private readonly last = new Map<string, TenantConfig>();

  constructor(private readonly configs: TenantConfigRepository) {}

  /** The config as this process last read or saved it; undefined when it never did (or forgot). */
  remembered(tenantId: string): TenantConfig | undefined {
    return this.last.get(tenantId);
  }

  async get(tenantId: string): Promise<TenantConfig | null> {
    const config = await this.configs.get(tenantId);
    this.remember(tenantId, config);
    return config;
  }

  async save(config: TenantConfig, expectedVersion: number): Promise<TenantConfig> {
    const saved = await this.configs.save(config, expectedVersion);
    this.remember(config.tenantId, saved);
    return saved;
  }

  assertVersion(tenantId: string, version: number): Promise<void> {
    return this.configs.assertVersion(tenantId, version);
  }

  private remember(tenantId: string, config: TenantConfig | null): void {
    // Two reads that finish out of order: keep the newer version (an older one would only cost a failed attempt).
    const known = this.last.get(tenantId);
    if (known && config && known.version > config.version) return;
    this.last.delete(tenantId);
    if (!config) return;
    if (this.last.size >= MAX_TENANTS) this.last.delete(this.last.keys().next().value!);
    this.last.set(tenantId, config);
  }
}
