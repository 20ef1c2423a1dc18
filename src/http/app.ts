import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { TSchema } from "@sinclair/typebox";
import type { Registry } from "prom-client";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginCallback,
  type FastifyReply,
  type FastifyRequest,
  type RawServerDefault,
} from "fastify";
import { pino } from "pino";
import { describeFailure } from "../platform/database-failure.js";
import { edgeDenialEntry } from "../platform/audit.js";
import type { Actor, AuditPort } from "../platform/ports.js";
import { Participant, Session } from "../platform/session-view.js";
import { Problem } from "../platform/schemas.js";
import { claimedIdentity, type StaffAuthenticator } from "./auth.js";
import { lazyDocs } from "./docs.js";
import { applyConnectionLimits, type ConnectionLimits } from "./connection-limits.js";
import { EdgeDenialAggregator } from "./edge-denials.js";
import { installInputBounds } from "./input-bounds.js";
import { installParticipantAuth, type ParticipantAuthenticator } from "./participant-auth.js";
import { installRateLimits, type RateLimits } from "./rate-limits.js";
import { HttpMetrics } from "./metrics.js";
import { StreamCap } from "./stream-cap.js";
import { problem, retryAfterSeconds, toProblem } from "./problem.js";
import { installRequestDeadline } from "./request-deadline.js";
import { installSecurityHeaders, wwwAuthenticate, type SecurityHeaderOptions } from "./security-headers.js";
import { systemRoutes } from "./system-routes.js";
import { isWarmUp } from "./warm-up.js";
import { webPages, type WebPagesOptions } from "./web-pages.js";
import { favicon } from "./favicon.js";
import { problemPages } from "./problem-pages.js";
import { eventCatalogRoutes, type EventCatalogOptions } from "./event-catalog.js";
import { API_VERSION } from "./openapi/api-version.js";
import { completeDocument, type OpenApiDocument } from "./openapi/complete-document.js";
import { API_DESCRIPTION, API_TAGS } from "./openapi/introduction.js";

/** What a feature hands the HTTP shell: every feature exports `(its use cases) => HttpFeature`. */
export interface HttpFeature {
  /** Its routes, registered under /v1 (any type provider: the plugin picks its own). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  routes: FastifyPluginAsync<Record<never, never>, RawServerDefault, any>;
  /** Schemas with an `$id` it refers to (`Type.Ref`): registered once at the root, OpenAPI components. */
  schemas?: TSchema[];
  /** Requests the service sends (OpenAPI 3.1 `webhooks`), documented beside its routes. */
  openapiWebhooks?: Record<string, unknown>;
}

export interface HttpOptions {
  /** Every feature, registered in this order. */
  features: HttpFeature[];
  /** OpenTelemetry's request spans (absent: not traced); registered before any hook or route. */
  tracing?: FastifyPluginCallback;
  authenticateStaff: StaffAuthenticator;
  /** Join tokens of patients and guests (participant-auth.ts); verified once per request. */
  authenticateParticipant: ParticipantAuthenticator;
  /** Resolves when the database answers; rejects otherwise (readiness). */
  ready: () => Promise<void>;
  /** The registry /metrics serves (the composition root adds its collectors to it). */
  metricsRegistry?: Registry;
  /** True once shutdown began: /readyz answers 503 and every answer closes its connection. */
  draining?: () => boolean;
  logLevel?: string;
  /** Where log lines go (stdout by default); tests read it to prove no PHI is logged. */
  logStream?: { write(line: string): void };
  /** The service's logger when it already exists (it logs the start-up before the app is built). */
  logger?: FastifyBaseLogger;
  /** Bounds on an answer; defaults as in config.ts. */
  timeouts?: Partial<HttpTimeouts>;
  /** Socket timeouts and the per-address connection cap (connection-limits.ts); defaults as in config.ts. */
  connections?: Partial<Omit<ConnectionLimits, "requestReceiveTimeoutMs">>;
  /** Audits a request refused before any use case ran (401); awaited, so it is durable. */
  audit: AuditPort;
  /** Event-loop delay above which requests are shed with 503 (MAX_EVENT_LOOP_DELAY_MS; 0: off). */
  maxEventLoopDelayMs?: number;
  /** HSTS and TLS (security-headers.ts); default: no HSTS. */
  securityHeaders?: SecurityHeaderOptions;
  /** Reverse proxies in front (TRUST_PROXY): the client address then comes from X-Forwarded-For. */
  trustProxyHops?: number;
  /** Requests per minute per client address / join token / tenant (rate-limits.ts); absent: off. */
  rateLimits?: RateLimits;
  /** Event streams one staff user may hold open (STREAMS_PER_USER; stream-cap.ts); default 10. */
  streamsPerUser?: number;
  /** METRICS_TOKEN: bearer needed for /metrics; without it only loopback clients may scrape. */
  metricsToken?: string;
  /** GET /asyncapi.yaml and the events' data schemas (event-catalog.ts); absent: not served. */
  eventCatalog?: EventCatalogOptions;
  /** The patient and clinician pages (GET /join, /console, /assets/*); absent: API only. */
  web?: WebPagesOptions;
}

export interface HttpTimeouts {
  requestTimeoutMs: number;
  uploadTimeoutMs: number;
  readinessTimeoutMs: number;
}

const DEFAULT_TIMEOUTS: HttpTimeouts = { requestTimeoutMs: 10_000, uploadTimeoutMs: 300_000, readinessTimeoutMs: 2000 };
const DEFAULT_CONNECTIONS = { headersTimeoutMs: 10_000, keepAliveTimeoutMs: 65_000, idleTimeoutMs: 30_000, maxConnectionsPerAddress: 100 };

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

/** One log line per request (method, path, status, time), not Fastify's two. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    // The start-up warm-up is not traffic (warm-up.ts).
    if (isWarmUp(request)) return;
    const line = { req: request, res: reply, ms: Math.round(reply.elapsedTime) };
    // request.log, not reply.log: a reply past its deadline has its logger silenced (request-deadline.ts).
    if (error) request.log.error({ ...line, err: { type: error.name } }, "request");
    else request.log.info(line, "request");
  }
}

/**
 * Relative: each deployment serves the document describing itself, whatever its host name.
 * `x-internal: false` — patients' browsers call the join routes, so the API is not internal-only.
 */
const SERVER = { url: "/", description: "This deployment (the host that served this document)", "x-internal": false };

export async function buildHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    ...(options.trustProxyHops ? { trustProxy: (_address: string, hop: number) => hop < options.trustProxyHops! } : {}),
    // Request ids double as the correlation id quoted in 500 answers.
    genReqId: () => crypto.randomUUID(),
    loggerInstance: options.logger ?? createLogger(options.logLevel, options.logStream),
    // Shutdown drains instead (cli.ts): requests still arriving on kept-alive connections while the
    // server closes are served, not answered with Fastify's own JSON 503; idle ones are closed.
    return503OnClosing: false,
    logController: new OneLinePerRequest(),
    forceCloseConnections: "idle",
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    // Errors the router raises before any hook (bad URL encoding, an over-long path parameter)
    // are problem+json too; the fuzzer found them answered as plain JSON.
    frameworkErrors: (err, req, reply) => {
      const body = toProblem(err, req.id);
      const raw = reply as unknown as FastifyReply;
      return raw.code(body.status).type("application/problem+json").send(body);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  applyConnectionLimits(app.server, {
    ...DEFAULT_CONNECTIONS,
    ...options.connections,
    // Node's bound on receiving a request only backs up the request deadline, which answers first.
    requestReceiveTimeoutMs: Math.max(timeouts.requestTimeoutMs, timeouts.uploadTimeoutMs) + 5000,
  });
  if (options.tracing) await app.register(options.tracing);

  // Every answer within a bound, body included: past it the caller gets 503 REQUEST_TIMEOUT (the
  // work itself is further bounded by the database timeouts, so it does not pile up behind the
  // answer). Routes that take large bodies (audio, attachments) are bound by the client's
  // bandwidth, not by our dependencies: a slow mobile upload gets the upload bound.
  installRequestDeadline(app, {
    requestTimeoutMs: timeouts.requestTimeoutMs,
    uploadTimeoutMs: timeouts.uploadTimeoutMs,
    isUpload: (req) => (req.routeOptions.bodyLimit ?? 0) > BODY_LIMIT_BYTES,
  });

  app.decorateRequest("actor", null as never);
  app.decorate("staffStreams", new StreamCap(options.streamsPerUser ?? 10));
  const denials = new EdgeDenialAggregator((entry) => options.audit.record(entry));
  app.addHook("onClose", () => denials.close().catch(() => undefined));
  app.decorate("authenticateStaff", async (req: FastifyRequest) => {
    try {
      req.actor = await options.authenticateStaff(req.headers.authorization);
    } catch (err) {
      // A failing audit write is logged, not turned into a 500: the caller still gets its 401.
      const denial = { reason: "UNAUTHENTICATED" as const, method: req.method, route: req.routeOptions.url ?? "unknown" };
      await denials
        .record(req.ip, edgeDenialEntry({ ...denial, ...claimedIdentity(req.headers.authorization) }))
        .catch(() => req.log.error("could not audit a refused request"));
      throw err;
    }
  });
  const joinTokenIdentity = installParticipantAuth(app, options.authenticateParticipant);

  // Shared by every feature: the problem+json answer, the session and its participants.
  for (const schema of [Problem, Participant, Session, ...options.features.flatMap((f) => f.schemas ?? [])]) app.addSchema(schema);

  app.setErrorHandler(async (err, req, reply) => {
    const body = toProblem(err, req.id);
    // A join token that does not verify (forged, malformed, unknown key) is refused before any
    // use case could audit it: record it as an edge denial, aggregated per address (issue 20).
    // The start-up warm-up's deliberate bad token is not an attempt on anyone.
    if (body.code === "TOKEN_INVALID" && !isWarmUp(req)) {
      const denial = { reason: "TOKEN_INVALID" as const, method: req.method, route: req.routeOptions.url ?? "unknown" };
      await denials.record(req.ip, edgeDenialEntry(denial)).catch(() => req.log.error("could not audit a refused request"));
    }
    if (body.status === 401) reply.header("www-authenticate", wwwAuthenticate(body.code, req.headers.authorization));
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

  installSecurityHeaders(app, options.securityHeaders ?? { hstsMaxAgeSeconds: 0, behindTls: false });
  await installInputBounds(app, { maxEventLoopDelayMs: options.maxEventLoopDelayMs ?? 0 });
  if (options.rateLimits) await installRateLimits(app, options.rateLimits, joinTokenIdentity);
  const metrics = new HttpMetrics(options.metricsRegistry);
  metrics.install(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Virtual Care Service",
        version: API_VERSION,
        description: API_DESCRIPTION,
        contact: { name: "Virtual Care Service maintainers" },
        license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
      },
      servers: [SERVER],
      tags: API_TAGS,
      webhooks: Object.assign({}, ...options.features.map((f) => f.openapiWebhooks ?? {})),
      components: {
        securitySchemes: {
          bearerAuth: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description:
              "Staff JWT, verified as RFC8725 recommends: algorithms pinned (HS256, or RS256/ES256/PS256/EdDSA from a JWKS), " +
              "`sub` and `exp` required, issuer and audience checked when configured. Claims: `tenant_id`, `roles`.",
          },
          joinToken: {
            type: "apiKey",
            in: "header",
            name: "X-Join-Token",
            description: "A participant's join token (the `token` of a join link). Some routes take it as the body field `token` instead.",
          },
          metricsToken: { type: "http", scheme: "bearer", description: "`METRICS_TOKEN`, when the deployment sets one (/metrics only)." },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => completeDocument((document as unknown as { openapiObject: OpenApiDocument }).openapiObject) as never,
  });
  await app.register(lazyDocs("/openapi.json"));

  const draining = options.draining ?? (() => false);
  // While draining, clients are told to reconnect (to another replica) after each answer.
  app.addHook("onSend", (_req, reply, payload, done) => {
    if (draining()) reply.header("connection", "close");
    done(null, payload);
  });
  await app.register(
    systemRoutes({
      ready: () => withinMs(options.ready(), timeouts.readinessTimeoutMs),
      draining,
      metrics,
      metricsToken: options.metricsToken,
      trustProxyHops: options.trustProxyHops,
    }),
  );
  await app.register(problemPages);
  if (options.eventCatalog) await app.register(eventCatalogRoutes(options.eventCatalog));
  for (const feature of options.features) await app.register(feature.routes, { prefix: "/v1" });
  if (options.web) await app.register(webPages(options.web));
  await app.register(favicon);
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
