import { NO_BRANDING, type TenantConfig, type VideoBackend } from "../../domain/tenant-config.js";
import { REDACTED, type TenantConfigView } from "./schemas.js";

type BackendView = TenantConfigView["videoBackends"][number];

/** Secrets never come back, not even encrypted. */
export function tenantConfigView(config: TenantConfig): TenantConfigView {
  const { videoBackends, branding, webhooks, ...rest } = config;
  return {
    ...rest,
    branding: { ...NO_BRANDING, ...branding },
    videoBackends: videoBackends.map(backendView),
    webhooks: (webhooks ?? []).map(({ secretEnvelope: _sealed, ...w }) => ({ ...w, secret: REDACTED })),
  };
}

function backendView(b: VideoBackend): BackendView {
  const common = { name: b.name, domain: b.domain, appId: b.appId, healthUrl: b.healthUrl, maxConcurrentRooms: b.maxConcurrentRooms };
  return b.provider === "jaas" ? { ...common, provider: "jaas", keyId: b.keyId ?? "", privateKey: REDACTED } : { ...common, provider: "jitsi", secret: REDACTED };
}

/** Endpoints as the config-updated event names them: no secret, and no URL (a receiver's URL may hold its own token). */
export function webhooksWithoutTargets(view: TenantConfigView): Array<{ name: string; eventTypes: string[] }> {
  return view.webhooks.map((w) => ({ name: w.name, eventTypes: w.eventTypes }));
}

/** The view without even the redaction markers: what the config-updated event carries. */
export function backendsWithoutCredentials(view: TenantConfigView): Array<Record<string, unknown>> {
  return view.videoBackends.map((b) => {
    const { secret: _s, privateKey: _k, ...rest } = b as BackendView & { secret?: unknown; privateKey?: unknown };
    return rest;
  });
}
