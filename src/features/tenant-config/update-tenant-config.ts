import { DomainError, validationFailed } from "../../domain/errors.js";
import { EventTypes } from "../../domain/events.js";
import {
  assertValidTenantConfig,
  defaultTenantConfig,
  type TenantConfig,
  type VideoBackend,
} from "../../domain/tenant-config.js";
import { hasPermission } from "../../platform/authorization.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import type { SecretStorePort } from "./ports.js";
import { REDACTED, type TenantConfigView } from "./schemas.js";
import { tenantConfigView } from "./tenant-config-view.js";

export interface VideoBackendInput {
  name: string;
  provider: "jitsi";
  domain: string;
  appId: string;
  /** Omitted: keep the secret stored for the backend of the same name. */
  secret?: string;
  healthUrl?: string | null;
  maxConcurrentRooms?: number | null;
}

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
}

/**
 * Spec: UpdateTenantConfig — validate, envelope-encrypt credentials, persist, announce (without
 * secrets). PUT semantics: omitted fields take their defaults, except `licensed` (kept unless a
 * platform admin sets it) and backend secrets (kept by backend name).
 */
export class UpdateTenantConfig {
  constructor(
    private readonly deps: CommandDeps & { secrets: SecretStorePort },
  ) {}

  execute(actor: Actor, input: TenantConfigInput, expectedVersion?: number): Promise<TenantConfigView> {
    const tenantId = actor.tenantId;
    const head = { actor, permission: "tenant_config.update" as const, action: "tenant_config.update", targets: { tenantId } };
    return runCommand(this.deps, head, async (tx) => {
      if (input.tenantId !== undefined && input.tenantId !== tenantId) {
        throw validationFailed("tenantId names another tenant", [{ path: "/tenantId", message: "must be your own tenant" }]);
      }
      expectedVersion ??= input.version;
      const current = (await tx.tenantConfigs.get(tenantId)) ?? defaultTenantConfig(tenantId);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new DomainError("OPTIMISTIC_LOCK_CONFLICT", "the tenant config was changed since you read it", {
          currentVersion: current.version,
        });
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
      };
      assertValidTenantConfig(next);
      const saved = await tx.tenantConfigs.save(next, current.version);
      const view = tenantConfigView(saved);
      await tx.outbox.add([
        {
          type: EventTypes.tenantConfigUpdated,
          tenantId,
          aggregateType: "tenant_config",
          aggregateId: tenantId,
          data: { ...view, videoBackends: view.videoBackends.map(({ secret: _redacted, ...b }) => b) },
        },
      ]);
      return view;
    });
  }

  private async sealBackends(
    tenantId: string,
    inputs: VideoBackendInput[],
    stored: VideoBackend[],
  ): Promise<VideoBackend[]> {
    return Promise.all(
      inputs.map(async (b, i) => {
        let secretEnvelope: string;
        if (b.secret !== undefined && b.secret !== REDACTED) {
          secretEnvelope = await this.deps.secrets.seal(b.secret, tenantId);
        } else {
          const previous = stored.find((s) => s.name === b.name);
          if (!previous) {
            throw validationFailed("a new video backend needs its secret", [
              { path: `/videoBackends/${i}/secret`, message: "required for a backend that has no stored secret" },
            ]);
          }
          secretEnvelope = previous.secretEnvelope;
        }
        return {
          name: b.name,
          provider: b.provider,
          domain: b.domain,
          appId: b.appId,
          secretEnvelope,
          healthUrl: b.healthUrl ?? null,
          maxConcurrentRooms: b.maxConcurrentRooms ?? null,
        };
      }),
    );
  }
}
