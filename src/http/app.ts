import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { pino } from "pino";
import type { AddParticipant } from "../app/add-participant.js";
import type { CancelSession } from "../app/cancel-session.js";
import type { CreateVirtualSession } from "../app/create-session.js";
import type { EndSession } from "../app/end-session.js";
import type { GetTenantConfig } from "../app/get-tenant-config.js";
import type { InitiateFallback } from "../app/initiate-fallback.js";
import type { EdgeDenial } from "../app/edge-denial.js";
import type { Actor } from "../app/ports.js";
import type { GetParticipantList } from "../app/queries/get-participant-list.js";
import type { GetSessionDetail } from "../app/queries/get-session-detail.js";
import type { GetSessionList } from "../app/queries/get-session-list.js";
import type { UpdateTenantConfig } from "../app/update-tenant-config.js";
import type { AdmitParticipant } from "../app/admit-participant.js";
import type { GetJoinToken } from "../app/get-join-token.js";
import type { GetJoinStatus } from "../app/queries/get-join-status.js";
import type { RemoveParticipant } from "../app/remove-participant.js";
import type { ReportBandwidth } from "../app/report-bandwidth.js";
import type { ValidateJoinToken } from "../app/validate-join-token.js";
import { claimedIdentity, type StaffAuthenticator } from "./auth.js";
import { lazyDocs } from "./docs.js";
import { HttpMetrics } from "./metrics.js";
import { describeFailure } from "../database-failure.js";
import { problem, retryAfterSeconds, toProblem } from "./problem.js";
import { joinRoutes } from "./routes/join.js";
import { participantRoutes } from "./routes/participants.js";
import { sessionRoutes } from "./routes/sessions.js";
import { systemRoutes } from "./routes/system.js";
import { tenantConfigRoutes } from "./routes/tenant-config.js";
import { Participant, Problem, Session, TenantConfig } from "./schemas.js";

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
  /** The service's logger when it already exists (it logs the start-up before the app is built). */
  logger?: FastifyBaseLogger;
  /** Bounds on an answer; defaults as in config.ts. */
  timeouts?: Partial<HttpTimeouts>;
  /** Audits a request refused before any use case ran (401); awaited, so it is durable. */
  auditEdgeDenial?: (denial: EdgeDenial) => Promise<void>;
  /** Extra route plugins (later capabilities register themselves here). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export interface HttpTimeouts {
  requestTimeoutMs: number;
  uploadTimeoutMs: number;
  readinessTimeoutMs: number;
}

const DEFAULT_TIMEOUTS: HttpTimeouts = { requestTimeoutMs: 10_000, uploadTimeoutMs: 300_000, readinessTimeoutMs: 2000 };

/** The service's logger. No PHI in logs: no query strings (patientId filters), no bodies, no tokens. */
export function createLogger(level = "info", stream?: { write(line: string): void }): FastifyBaseLogger {
  const options = {
    level,
    serializers: {
      req: (req: FastifyRequest) => ({ id: req.id, method: req.method, url: (req.url ?? "").split("?")[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    redact: ["req.headers.authorization", 'req.headers["x-join-token"]'],
  };
  return stream ? pino(options, stream) : pino(options);
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
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids double as the correlation id quoted in 500 answers.
    genReqId: () => crypto.randomUUID(),
    loggerInstance: options.logger ?? createLogger(options.logLevel, options.logStream),
    // Every answer within a bound: past it the caller gets 503 REQUEST_TIMEOUT (the work itself
    // is further bounded by the database timeouts, so it does not pile up behind the answer).
    handlerTimeout: timeouts.requestTimeoutMs,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Routes that take large bodies (audio, attachments) are bound by the client's bandwidth, not
  // by our dependencies: a slow mobile upload must not be cut at the API's usual bound.
  app.addHook("onRoute", (route) => {
    if ((route.bodyLimit ?? 0) > BODY_LIMIT_BYTES && route.handlerTimeout === undefined) route.handlerTimeout = timeouts.uploadTimeoutMs;
  });

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
    if (body.status >= 500) {
      // Class and code of the error and what it wraps: never messages, which can quote SQL parameters.
      const fields = { err: { type: (err as Error).name, code: (err as { code?: string }).code }, cause: describeFailure(err), problem: body.code };
      if (body.code === "INTERNAL") req.log.error(fields, "request failed");
      else req.log.warn(fields, "request failed: a dependency is unavailable");
    }
    const retryAfter = retryAfterSeconds[body.code];
    if (retryAfter !== undefined) void reply.header("retry-after", String(retryAfter));
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

  await app.register(systemRoutes({ ready: () => withinMs(options.ready(), timeouts.readinessTimeoutMs), metrics }));
  await app.register(sessionRoutes(options.services), { prefix: "/v1" });
  await app.register(participantRoutes(options.services), { prefix: "/v1" });
  await app.register(tenantConfigRoutes(options.services), { prefix: "/v1" });
  await app.register(joinRoutes(options.services), { prefix: "/v1" });
  for (const plugin of options.plugins ?? []) await app.register(plugin, { prefix: "/v1" });
  return app;
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on, bounded by its own timeouts). */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
