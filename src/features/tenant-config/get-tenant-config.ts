import { defaultTenantConfig } from "../../domain/tenant-config.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort, TenantConfigRepository } from "../../platform/ports.js";
import type { TenantConfigView } from "./schemas.js";
import { tenantConfigView } from "./tenant-config-view.js";

/** Spec: GetTenantConfig — the caller's own tenant, credentials redacted; defaults at version 0 before the first PUT. */
export class GetTenantConfig {
  constructor(private readonly deps: { tenantConfigs: TenantConfigRepository; audit: AuditPort }) {}

  execute(actor: Actor): Promise<TenantConfigView> {
    return audited(
      this.deps.audit,
      { actor, action: "tenant_config.read", targets: { tenantId: actor.tenantId } },
      async () => {
        assertPermission(actor, "tenant_config.read");
        const config = (await this.deps.tenantConfigs.get(actor.tenantId)) ?? defaultTenantConfig(actor.tenantId);
        return tenantConfigView(config);
      },
    );
  }
}
