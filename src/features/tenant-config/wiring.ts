import type { HttpFeature } from "../../http/app.js";
import type { TenantConfigRepository, UnitOfWork } from "../../platform/ports.js";
import type { SharedDeps } from "../../platform/wiring.js";
import { GetTenantConfig } from "./get-tenant-config.js";
import type { SecretStorePort, VideoKeyReader, WebhookTargets } from "./ports.js";
import { tenantConfigRoutes } from "./routes.js";
import { UpdateTenantConfig } from "./update-tenant-config.js";

export interface TenantConfigDeps extends SharedDeps {
  uow: UnitOfWork;
  tenantConfigs: TenantConfigRepository;
  secrets: SecretStorePort;
  videoKeys: VideoKeyReader;
  webhookTargets: WebhookTargets;
}

export function tenantConfigFeature(d: TenantConfigDeps): HttpFeature {
  return tenantConfigRoutes({ getTenantConfig: new GetTenantConfig(d), updateTenantConfig: new UpdateTenantConfig(d) });
}
