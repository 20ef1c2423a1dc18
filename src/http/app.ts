import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { AddParticipant } from "../features/join/add-participant.js";
import type { CancelSession } from "../features/sessions/cancel-session.js";
import type { CreateVirtualSession } from "../features/sessions/create-session.js";
import type { EndSession } from "../features/sessions/end-session.js";
import type { GetTenantConfig } from "../features/tenant-config/get-tenant-config.js";
import type { InitiateFallback } from "../features/sessions/initiate-fallback.js";
import type { EdgeDenial } from "../platform/edge-denial.js";
import type { Actor } from "../platform/ports.js";
import type { GetParticipantList } from "../features/join/get-participant-list.js";
import type { GetSessionDetail } from "../features/sessions/get-session-detail.js";
import type { GetSessionList } from "../features/sessions/get-session-list.js";
import type { UpdateTenantConfig } from "../features/tenant-config/update-tenant-config.js";
import type { AdmitParticipant } from "../features/join/admit-participant.js";
import type { GetJoinToken } from "../features/join/get-join-token.js";
import type { GetJoinStatus } from "../features/join/get-join-status.js";
import type { RemoveParticipant } from "../features/join/remove-participant.js";
import type { ReportBandwidth } from "../features/join/report-bandwidth.js";
import type { ValidateJoinToken } from "../features/join/validate-join-token.js";
import { claimedIdentity, type StaffAuthenticator } from "./auth.js";
import { lazyDocs } from "./docs.js";
import { HttpMetrics } from "./metrics.js";
import { problem, toProblem } from "./problem.js";
import { joinRoutes } from "../features/join/join-routes.js";
import { participantRoutes } from "../features/join/participant-routes.js";
import { sessionRoutes } from "../features/sessions/routes.js";
import { systemRoutes } from "./system-routes.js";
import { tenantConfigRoutes } from "../features/tenant-config/routes.js";
import { Participant, Problem, Session, TenantConfig } from "../platform/schemas.js";

/** The use cases the routes call; `main.ts` builds them. */
export interface Services {
  createSession: CreateVirtualSession;
  endSession: EndSession;
  cancelSession: CancelSession;
  initiateFallback: InitiateFallback;
  addParticipant: AddParticipant;
  getSessionList: GetSessionList;
  getSessionDetail: GetSessionDetail;
  getParticipantList: GetParticipantList;
  getTenantConfig: GetTenantConfig;
  updateTenantConfig: UpdateTenantConfig;
  // join flow
  getJoinToken: GetJoinToken;
  validateJoinToken: ValidateJoinToken;
  getJoinStatus: GetJoinStatus;
  reportBandwidth: ReportBandwidth;
  admitParticipant: AdmitParticipant;
  removeParticipant: RemoveParticipant;
}

export interface HttpOptions {
  services: Services;
  authenticateStaff: StaffAuthenticator;
  /** Resolves when the database answers; rejects otherwise (readiness). */
  ready: () => Promise<void>;
  logLevel?: string;
  /** Where log lines go (stdout by default); tests read it to prove no PHI is logged. */
  logStream?: { write(line: string): void };
  /** Audits a request refused before any use case ran (401); awaited, so it is durable. */
  auditEdgeDenial?: (denial: EdgeDenial) => Promise<void>;
  /** Extra route plugins (later capabilities register themselves here). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
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
      await options
        .auditEdgeDenial?.({
          reason: "UNAUTHENTICATED",
          method: req.method,
          route: req.routeOptions.url ?? "unknown",
          ...claimedIdentity(req.headers.authorization),
        })
        .catch(() => req.log.error("could not audit a refused request"));
      throw err;
    }
  });

  for (const schema of [Problem, Participant, Session, TenantConfig]) app.addSchema(schema);

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
  await app.register(sessionRoutes(options.services), { prefix: "/v1" });
  await app.register(participantRoutes(options.services), { prefix: "/v1" });
  await app.register(tenantConfigRoutes(options.services), { prefix: "/v1" });
  await app.register(joinRoutes(options.services), { prefix: "/v1" });
  for (const plugin of options.plugins ?? []) await app.register(plugin, { prefix: "/v1" });
  return app;
}
