import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { TSchema } from "@sinclair/typebox";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest, type RawServerDefault } from "fastify";
import { edgeDenialEntry } from "../platform/audit.js";
import type { Actor, AuditPort } from "../platform/ports.js";
import { Participant, Session } from "../platform/session-view.js";
import { Problem } from "../platform/schemas.js";
import { claimedIdentity, type StaffAuthenticator } from "./auth.js";
import { lazyDocs } from "./docs.js";
import { HttpMetrics } from "./metrics.js";
import { problem, toProblem } from "./problem.js";
import { systemRoutes } from "./system-routes.js";
import { webPages, type WebPagesOptions } from "./web-pages.js";

/** What a feature hands the HTTP shell: every feature exports `(its use cases) => HttpFeature`. */
export interface HttpFeature {
  /** Its routes, registered under /v1 (any type provider: the plugin picks its own). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  routes: FastifyPluginAsync<Record<never, never>, RawServerDefault, any>;
  /** Schemas with an `$id` it refers to (`Type.Ref`): registered once at the root, OpenAPI components. */
  schemas?: TSchema[];
}

export interface HttpOptions {
  /** Every feature, registered in this order. */
  features: HttpFeature[];
  authenticateStaff: StaffAuthenticator;
  /** Resolves when the database answers; rejects otherwise (readiness). */
  ready: () => Promise<void>;
  logLevel?: string;
  /** Where log lines go (stdout by default); tests read it to prove no PHI is logged. */
  logStream?: { write(line: string): void };
  /** Audits a request refused before any use case ran (401); awaited, so it is durable. */
  audit: AuditPort;
  /** The patient and clinician pages (GET /join, /console, /assets/*); absent: API only. */
  web?: WebPagesOptions;
}

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyInstance {
    authenticateStaff: (req: FastifyRequest) => Promise<void>;
  }
}

export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids double as the correlation id quoted in 500 answers.
    genReqId: () => crypto.randomUUID(),
    logger: {
      level: options.logLevel ?? "info",
      ...(options.logStream ? { stream: options.logStream } : {}),
      // No PHI in logs: no query strings (patientId filters), no bodies, no tokens.
      serializers: {
        req: (req: FastifyRequest) => ({ id: req.id, method: req.method, url: (req.url ?? "").split("?")[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: ["req.headers.authorization", 'req.headers["x-join-token"]'],
    },
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest("actor", null as never);
  app.decorate("authenticateStaff", async (req: FastifyRequest) => {
    try {
      req.actor = await options.authenticateStaff(req.headers.authorization);
    } catch (err) {
      // A failing audit write is logged, not turned into a 500: the caller still gets its 401.
      const denial = { reason: "UNAUTHENTICATED" as const, method: req.method, route: req.routeOptions.url ?? "unknown" };
      await options.audit
        .record(edgeDenialEntry({ ...denial, ...claimedIdentity(req.headers.authorization) }))
        .catch(() => req.log.error("could not audit a refused request"));
      throw err;
    }
  });

  // Shared by every feature: the problem+json answer, the session and its participants.
  for (const schema of [Problem, Participant, Session, ...options.features.flatMap((f) => f.schemas ?? [])]) app.addSchema(schema);

  app.setErrorHandler((err, req, reply) => {
    const body = toProblem(err, req.id);
    if (body.status >= 500) req.log.error({ err: { type: (err as Error).name, code: (err as { code?: string }).code } }, "request failed");
    return reply.code(body.status).type("application/problem+json").send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type("application/problem+json")
      .send(problem(404, "NOT_FOUND", `no route for ${req.method} ${(req.url ?? "").split("?")[0]}`)),
  );

  const metrics = new HttpMetrics();
  metrics.install(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Virtual Care Service",
        version: "1.0.0",
        description: "Video visits with waiting room, fallback and FHIR Encounters. Errors are application/problem+json (RFC 9457).",
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          joinToken: { type: "apiKey", in: "header", name: "X-Join-Token" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(lazyDocs("/openapi.json"));

  await app.register(systemRoutes({ ready: options.ready, metrics }));
  for (const feature of options.features) await app.register(feature.routes, { prefix: "/v1" });
  if (options.web) await app.register(webPages(options.web));
  return app;
}
