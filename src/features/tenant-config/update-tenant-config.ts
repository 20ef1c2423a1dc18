import { DomainError, validationFailed, versionConflict } from "../../domain/errors.js";
import { EventTypes, type EventType } from "../../domain/events.js";
import type { WebhookEndpoint } from "../../domain/webhooks.js";
import {
  assertValidTenantConfig,
  defaultTenantConfig,
  JAAS_DOMAIN,
  NO_BRANDING,
  type ClinicBranding,
  type TenantConfig,
  type VideoBackend,
} from "../../domain/tenant-config.js";
import { hasPermission } from "../../platform/authorization.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import type { SecretStorePort, VideoKeyReader, WebhookTargets } from "./ports.js";
import { REDACTED, type TenantConfigView } from "./schemas.js";
import { backendsWithoutCredentials, tenantConfigView, webhooksWithoutTargets } from "./tenant-config-view.js";

interface BackendInputCommon {
  name: string;
  healthUrl?: string | null;
  maxConcurrentRooms?: number | null;
}

export type VideoBackendInput =
  | (BackendInputCommon & {
      provider: "jitsi";
      domain: string;
      appId: string;
      /** Omitted: keep the secret stored for the backend of the same name. */
      secret?: string;
    })
  | (BackendInputCommon & {
      provider: "jaas";
      /** Omitted: 8x8.vc. */
      domain?: string;
      appId: string;
      keyId: string;
      /** The API key's RSA private key (PEM). Omitted: keep the one stored for the backend of the same name. */
      privateKey?: string;
    });

export interface TenantConfigInput {
  /** Present when a client sends back what it read: must be its own tenant. */
  tenantId?: string;
  /** The version the client read; the expected version when no If-Match was sent. */
  version?: number;
  licensed?: boolean;
  maxParticipants?: number;
  waitingRoomEnabled?: boolean;
  consentRequired?: boolean;
  joinTokenTtlSeconds?: number;
  fallbackBandwidthKbps?: number;
  aiSummaryEnabled?: boolean;
  videoBackends: VideoBackendInput[];
  branding?: Partial<ClinicBranding>;
  webhooks?: WebhookInput[];
}

export interface WebhookInput {
  name: string;
  url: string;
  /** Checked against the published event types by the config's own rules (assertValidTenantConfig). */
  eventTypes: readonly string[];
  /** A `whsec_…` value (rotation), or omitted/"[REDACTED]": keep the stored one, or generate one for a new endpoint. */
  secret?: string;
}

/**
 * Spec: UpdateTenantConfig — validate, envelope-encrypt credentials, persist, announce (without
 * secrets). PUT semantics: omitted fields take their defaults, except `licensed` (kept unless a
 * platform admin sets it) and backend secrets (kept by backend name).
 */
export class UpdateTenantConfig {
  constructor(
    private readonly deps: CommandDeps & { secrets: SecretStorePort; videoKeys: VideoKeyReader; webhookTargets: WebhookTargets },
  ) {}

  execute(actor: Actor, input: TenantConfigInput, expectedVersion?: number): Promise<TenantConfigView> {
    const tenantId = actor.tenantId;
    const head = { actor, permission: "tenant_config.update" as const, action: "tenant_config.update" as const, targets: { tenantId } };
    return runCommand(this.deps, head, async (tx) => {
      if (input.tenantId !== undefined && input.tenantId !== tenantId) {
        throw validationFailed("tenantId names another tenant", [{ path: "/tenantId", message: "must be your own tenant" }]);
      }
      expectedVersion ??= input.version;
      const current = (await tx.tenantConfigs.get(tenantId)) ?? defaultTenantConfig(tenantId);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw versionConflict("tenant config", current.version, "stale");
      }
      const licensed = input.licensed ?? current.licensed;
      if (licensed !== current.licensed && !hasPermission(actor, "tenant_config.license")) {
        throw new DomainError("FORBIDDEN", "changing the licence needs the platform_admin role");
      }
      const defaults = defaultTenantConfig(tenantId);
      const next: TenantConfig = {
        tenantId,
        version: current.version,
        licensed,
        maxParticipants: input.maxParticipants ?? defaults.maxParticipants,
        waitingRoomEnabled: input.waitingRoomEnabled ?? defaults.waitingRoomEnabled,
        consentRequired: input.consentRequired ?? defaults.consentRequired,
        joinTokenTtlSeconds: input.joinTokenTtlSeconds ?? defaults.joinTokenTtlSeconds,
        fallbackBandwidthKbps: input.fallbackBandwidthKbps ?? defaults.fallbackBandwidthKbps,
        aiSummaryEnabled: input.aiSummaryEnabled ?? defaults.aiSummaryEnabled,
        videoBackends: await this.sealBackends(tenantId, input.videoBackends, current.videoBackends),
        branding: { ...NO_BRANDING, ...input.branding },
      };
      const hooks = await this.sealWebhooks(tenantId, input.webhooks ?? [], current.webhooks ?? []);
      next.webhooks = hooks.endpoints;
      assertValidTenantConfig(next);
      await this.checkTargets(next.webhooks, current.webhooks ?? []);
      const saved = await tx.tenantConfigs.save(next, current.version);
      const view = tenantConfigView(saved);
      await tx.outbox.add([
        {
          type: EventTypes.tenantConfigUpdated,
          tenantId,
          aggregateType: "tenant_config",
          aggregateId: tenantId,
          data: { ...view, videoBackends: backendsWithoutCredentials(view), webhooks: webhooksWithoutTargets(view) },
        },
      ]);
      // A generated secret is shown this once: the receiver's owner copies it from this answer.
      return { ...view, webhooks: view.webhooks.map((w) => ({ ...w, secret: hooks.generated.get(w.name) ?? w.secret })) };
    });
  }

  private async sealBackends(
    tenantId: string,
    inputs: VideoBackendInput[],
    stored: VideoBackend[],
  ): Promise<VideoBackend[]> {
    return Promise.all(
      inputs.map(async (b, i) => {
        const common = { name: b.name, healthUrl: b.healthUrl ?? null, maxConcurrentRooms: b.maxConcurrentRooms ?? null };
        const given = b.provider === "jaas" ? b.privateKey : b.secret;
        const field = b.provider === "jaas" ? "privateKey" : "secret";
        let secretEnvelope: string;
        if (given !== undefined && given !== REDACTED) {
          secretEnvelope = await this.deps.secrets.seal(b.provider === "jaas" ? this.privateKey(given, i) : given, tenantId);
        } else {
          // A kept credential must be of the same kind: an HS256 app secret is no RSA key.
          const previous = stored.find((s) => s.name === b.name && s.provider === b.provider);
          if (!previous) {
            throw validationFailed(`a new video backend needs its ${field}`, [
              { path: `/videoBackends/${i}/${field}`, message: `required for a ${b.provider} backend that has no stored ${field}` },
            ]);
          }
          secretEnvelope = previous.secretEnvelope;
        }
        return b.provider === "jaas"
          ? { ...common, provider: "jaas" as const, domain: b.domain ?? JAAS_DOMAIN, appId: b.appId, keyId: b.keyId, secretEnvelope }
          : { ...common, provider: "jitsi" as const, domain: b.domain, appId: b.appId, secretEnvelope };
      }),
    );
  }

  /**
   * Webhook secrets: a given `whsec_` value is sealed, "[REDACTED]" or none keeps the stored one of
   * the same name, and a new endpoint without one gets a generated secret (returned once).
   */
  private async sealWebhooks(
    tenantId: string,
    inputs: WebhookInput[],
    stored: WebhookEndpoint[],
  ): Promise<{ endpoints: WebhookEndpoint[]; generated: Map<string, string> }> {
    const generated = new Map<string, string>();
    const endpoints = await Promise.all(
      inputs.map(async (w) => {
        const previous = stored.find((s) => s.name === w.name);
        let secretEnvelope: string;
        if (w.secret !== undefined && w.secret !== REDACTED) secretEnvelope = await this.deps.secrets.seal(w.secret, tenantId);
        else if (previous) secretEnvelope = previous.secretEnvelope;
        else {
          const secret = this.deps.webhookTargets.newSecret();
          generated.set(w.name, secret);
          secretEnvelope = await this.deps.secrets.seal(secret, tenantId);
        }
        return { name: w.name, url: w.url, eventTypes: [...w.eventTypes] as EventType[], secretEnvelope };
      }),
    );
    return { endpoints, generated };
  }

  /** SSRF guard at configuration: a new or changed URL must be one the service may call. */
  private async checkTargets(endpoints: WebhookEndpoint[], stored: WebhookEndpoint[]): Promise<void> {
    const errors: Array<{ path: string; message: string }> = [];
    await Promise.all(
      endpoints.map(async (w, i) => {
        if (stored.some((s) => s.name === w.name && s.url === w.url)) return;
        const refusal = await this.deps.webhookTargets.refusal(w.url);
        if (refusal) errors.push({ path: `/webhooks/${i}/url`, message: refusal });
      }),
    );
    if (errors.length > 0) throw validationFailed("a webhook URL may not be called", errors.sort((a, b) => a.path.localeCompare(b.path)));
  }

  /** The key as PKCS#8 PEM, or 400 naming the field: a key JaaS cannot use must not wait for the first admit to fail. */
  private privateKey(pem: string, index: number): string {
    const normalized = this.deps.videoKeys.rsaPrivateKeyPem(pem);
    if (normalized === null) {
      throw validationFailed("the JaaS private key is not an RSA private key", [
        { path: `/videoBackends/${index}/privateKey`, message: "must be the API key's RSA private key in PEM (PKCS#8 or PKCS#1)" },
      ]);
    }
    return normalized;
  }
}
