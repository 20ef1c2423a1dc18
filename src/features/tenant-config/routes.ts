import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { GetTenantConfig } from "./get-tenant-config.js";
import type { UpdateTenantConfig } from "./update-tenant-config.js";
import { etag, parseIfMatch } from "../../http/preconditions.js";
import { json, problems } from "../../http/openapi/responses.js";
import { EXAMPLE_TENANT_CONFIG, EXAMPLE_TENANT_CONFIG_BODY } from "./examples.js";
import { MutationHeaders } from "../../platform/session-view.js";
import { TenantConfig, TenantConfigBody } from "./schemas.js";
import type { HttpFeature } from "../../http/app.js";

const tags = ["tenant config"];
const security = [{ bearerAuth: [] }];

export interface TenantConfigServices {
  getTenantConfig: GetTenantConfig;
  updateTenantConfig: UpdateTenantConfig;
}

export function tenantConfigRoutes(services: TenantConfigServices): HttpFeature {
  return {
    schemas: [TenantConfig],
    routes: async (instance) => {
      const app = instance.withTypeProvider<TypeBoxTypeProvider>();
      // onRequest: the token is checked before any body is read or validated.
      app.addHook("onRequest", app.authenticateStaff);

      app.get(
        "/tenant-config",
        {
          schema: {
            tags,
            security,
            operationId: "getTenantConfig",
            summary: "Read the tenant's config, credentials redacted (GetTenantConfig)",
            description: "Before the first PUT this is the default config at version 0 (unlicensed, no backends).",
            response: {
              200: json(Type.Ref(TenantConfig), "The config, secrets redacted", { headers: ["ETag"], example: EXAMPLE_TENANT_CONFIG }),
              ...problems("FORBIDDEN"),
            },
          },
        },
        async (req, reply) => {
          const config = await services.getTenantConfig.execute(req.actor);
          return reply.header("etag", etag(config.version)).send(config);
        },
      );

      app.put(
        "/tenant-config",
        {
          schema: {
            tags,
            security,
            operationId: "updateTenantConfig",
            summary: "Replace the tenant's config (UpdateTenantConfig)",
            description:
              "Omitted fields take their defaults; a backend sent without `secret` keeps its stored secret; " +
              "changing `licensed` needs the platform_admin role. Secrets are envelope-encrypted and never returned.",
            headers: MutationHeaders,
            body: { ...TenantConfigBody, examples: [EXAMPLE_TENANT_CONFIG_BODY] },
            response: {
              200: json(Type.Ref(TenantConfig), "The config as stored, secrets redacted", { headers: ["ETag"], example: { ...EXAMPLE_TENANT_CONFIG, version: 4, maxParticipants: 8 } }),
              ...problems("VALIDATION_FAILED", "FORBIDDEN", "OPTIMISTIC_LOCK_CONFLICT"),
            },
          },
        },
        async (req, reply) => {
          const config = await services.updateTenantConfig.execute(req.actor, req.body, parseIfMatch(req.headers["if-match"]));
          return reply.header("etag", etag(config.version)).send(config);
        },
      );
    },
  };
}
