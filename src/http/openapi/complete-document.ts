import type { ErrorCode } from "../../domain/errors.js";
import { ERROR_CODES, PROBLEM_CATALOG, problemSlug } from "../problem-catalog.js";
import { statusByCode } from "../problem.js";
import { problemResponse, RESPONSE_HEADERS } from "./responses.js";

/**
 * The last pass over the generated OpenAPI document (@fastify/swagger's `transformObject`): what
 * the HTTP edge answers on every route is added here, in one place, from the edge's own rules,
 * instead of being repeated in every route's schema:
 *
 * - every route: 400 VALIDATION_FAILED (input bounds on the query string, input-bounds.ts), 500
 *   INTERNAL, 503 REQUEST_TIMEOUT (request-deadline.ts) and, but for liveness, 503 SERVICE_OVERLOADED;
 * - /v1 routes: 429 RATE_LIMITED (rate-limits.ts) and 503 DATABASE_UNAVAILABLE;
 * - a bearer route 401 UNAUTHENTICATED, a join-token route 401 TOKEN_INVALID (auth.ts, join-access.ts);
 * - a path parameter over 100 characters 414 (Fastify's maxParamLength); a body 413 (over the
 *   route's limit), 415 (another content type) and 400 (not JSON);
 * - the headers: RateLimit on every /v1 answer, Retry-After on 429 and 503, WWW-Authenticate on 401.
 *
 * Problem answers are then rebuilt from their codes (responses.ts), and the headers point at
 * components.headers.
 */

type Schema = Record<string, unknown>;
interface Header {
  description: string;
  required?: boolean;
  schema: Schema;
}
interface Response {
  description: string;
  headers?: Record<string, Header | { $ref: string }>;
  content?: Record<string, { schema?: Schema; example?: unknown; examples?: unknown }>;
}
interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses: Record<string, Response | { $ref: string }>;
}
export interface OpenApiDocument {
  info: Schema;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; headers?: Record<string, Header>; examples?: Record<string, unknown>; responses?: Record<string, Response>; securitySchemes?: Schema };
  [key: string]: unknown;
}

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };
/** Routes that read no database: the pre-call probes check the token and an in-memory budget. */
const NO_DATABASE = new Set(["probeBandwidth", "probeUploadBandwidth"]);
/** Liveness is never shed (input-bounds.ts): a busy replica is alive. */
const NOT_SHED = new Set(["getLiveness"]);
const BODY_METHODS = new Set(["post", "put", "patch", "delete"]);

const RATE_LIMIT_HEADERS = {
  "X-RateLimit-Limit": {
    description:
      "Requests allowed per minute to this caller (per tenant for staff, per participant for a join token, per address otherwise). " +
      "Sent on /v1 answers while that limit is on (RATE_LIMIT_*_PER_MIN); counted per replica.",
    schema: { type: "integer", minimum: 0, examples: [6000] },
  },
  "X-RateLimit-Remaining": { description: "Requests left in the current minute.", schema: { type: "integer", minimum: 0, examples: [5998] } },
  "X-RateLimit-Reset": { description: "Seconds until the current minute's count starts again.", schema: { type: "integer", minimum: 0, examples: [42] } },
};

const EDGE_HEADERS: Record<string, Header> = {
  ...Object.fromEntries(Object.entries(RESPONSE_HEADERS).map(([name, h]) => [name, { description: h.description, schema: { ...h.schema } }])),
  ...RATE_LIMIT_HEADERS,
  "Retry-After": {
    description:
      "Seconds to wait before trying again: sent with RATE_LIMITED from the request limiter, DATABASE_UNAVAILABLE, REQUEST_TIMEOUT, " +
      "SERVICE_OVERLOADED and SERVICE_SHUTTING_DOWN (not with a refusal that waiting does not cure, such as too many open streams).",
    schema: { type: "integer", minimum: 0, examples: [5] },
  },
  "WWW-Authenticate": {
    description: "The scheme to authenticate with (RFC 9110 §11.6.1): `Bearer realm=\"virtual-care\"` for staff, `JoinToken realm=\"virtual-care\"` for join tokens.",
    required: true,
    schema: { type: "string", examples: ['Bearer realm="virtual-care"'] },
  },
};
/** Headers every answer of its kind carries: the document says so. */
const ALWAYS = new Set(["ETag", "Location", "Content-Disposition", "WWW-Authenticate"]);
for (const name of ALWAYS) EDGE_HEADERS[name]!.required = true;

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The codes the edge adds to an operation, by status. */
function edgeCodes(path: string, method: string, op: Operation): Array<[number, ErrorCode]> {
  const codes: Array<[number, ErrorCode]> = [
    [400, "VALIDATION_FAILED"],
    [500, "INTERNAL"],
    [503, "REQUEST_TIMEOUT"],
  ];
  const id = op.operationId ?? "";
  if (!NOT_SHED.has(id)) codes.push([503, "SERVICE_OVERLOADED"]);
  if (path.startsWith("/v1/")) {
    codes.push([429, "RATE_LIMITED"]);
    if (!NO_DATABASE.has(id)) codes.push([503, "DATABASE_UNAVAILABLE"]);
  }
  const schemes = new Set((op.security ?? []).flatMap((s) => Object.keys(s)));
  if (schemes.has("bearerAuth")) codes.push([401, "UNAUTHENTICATED"]);
  if (schemes.has("joinToken")) codes.push([401, "TOKEN_INVALID"]);
  if ((op.parameters ?? []).some((p) => p.in === "path")) codes.push([414, "VALIDATION_FAILED"]);
  if (BODY_METHODS.has(method)) {
    codes.push([413, "PAYLOAD_TOO_LARGE"], [415, "VALIDATION_FAILED"]);
  }
  return codes;
}

/** The codes a documented problem answer already lists (its `code` enum). */
function codesOf(response: Response): ErrorCode[] {
  const schema = response.content?.["application/problem+json"]?.schema as { allOf?: Array<{ properties?: { code?: { enum?: ErrorCode[] } } }> } | undefined;
  return schema?.allOf?.flatMap((s) => s.properties?.code?.enum ?? []) ?? [];
}

export function completeDocument(doc: OpenApiDocument): OpenApiDocument {
  const examples: Record<string, unknown> = {};
  const shared = new SharedResponses();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      // As @fastify/swagger wrote them: no references yet.
      const responses = op.responses as Record<string, Response>;
      const byStatus = new Map<number, Set<ErrorCode>>();
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) byStatus.set(Number(status), new Set(codesOf(response)));
      }
      for (const [status, code] of edgeCodes(path, method, op)) byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
      for (const [status, codes] of byStatus) {
        const missing = [...codes].find((c) => statusByCode[c] !== status && c !== "VALIDATION_FAILED");
        if (missing) throw new Error(`${method.toUpperCase()} ${path}: ${missing} is answered with ${statusByCode[missing]}, not ${status}`);
        responses[String(status)] = sharedExamples(problemResponse(status, [...codes], PROBLEM_REF), status, examples);
      }
      for (const [status, response] of Object.entries(responses)) addHeaders(path, Number(status), response);
      op.responses = Object.fromEntries(
        Object.entries(responses)
          .sort(([a], [b]) => a.localeCompare(b))
          // Only /v1 answers are shared: a linter reports a shared one where it is defined, and the
          // operations routes' per-path exceptions (.spectral.mjs) must still apply to theirs.
          .map(([status, response]) => [status, byStatus.has(Number(status)) && path.startsWith("/v1/") ? shared.use(Number(status), response) : response]),
      );
    }
  }
  doc.components.responses = shared.components();
  doc.components.headers = EDGE_HEADERS;
  doc.components.examples = Object.fromEntries(Object.entries(examples).sort(([a], [b]) => a.localeCompare(b)));
  int32Formats(doc);
  return doc;
}

/**
 * Problem answers are the same on many routes (every route's 500, most 429s and 503s): each one is
 * written once in components.responses, named by its status and codes, and referred to.
 */
class SharedResponses {
  private readonly byName = new Map<string, Response>();

  use(status: number, response: Response): { $ref: string } {
    const codes = (response.content?.["application/problem+json"]?.schema as { allOf: Array<{ properties?: { code?: { enum?: string[] } } }> }).allOf[1]!.properties!.code!.enum!;
    const name = [status, ...codes].join("-");
    const existing = this.byName.get(name);
    if (existing && JSON.stringify(existing) !== JSON.stringify(response)) throw new Error(`two different answers named ${name}`);
    this.byName.set(name, response);
    return { $ref: `#/components/responses/${name}` };
  }

  components(): Record<string, Response> {
    return Object.fromEntries([...this.byName].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Each problem example once, in components.examples (`CODE.status`); responses refer to it. */
function sharedExamples(response: Response, status: number, shared: Record<string, unknown>): Response {
  const media = response.content!["application/problem+json"]!;
  const own = media.examples as Record<string, unknown>;
  media.examples = Object.fromEntries(
    Object.entries(own).map(([code, example]) => {
      const name = `${code}.${status}`;
      shared[name] = example;
      return [code, { $ref: `#/components/examples/${name}` }];
    }),
  );
  return response;
}

function addHeaders(path: string, status: number, response: Response): void {
  const headers: Record<string, Header | { $ref: string }> = {};
  // Headers a route declared (responses.ts) become references to the one description.
  for (const name of Object.keys(response.headers ?? {})) headers[name] = EDGE_HEADERS[name] ? ref(name) : response.headers![name]!;
  // Counted before the handler runs, so a /v1 answer carries them whatever its status.
  if (path.startsWith("/v1/")) for (const name of Object.keys(RATE_LIMIT_HEADERS)) headers[name] = ref(name);
  if (status === 429 || status === 503) headers["Retry-After"] = ref("Retry-After");
  if (status === 401) headers["WWW-Authenticate"] = ref("WWW-Authenticate");
  if (Object.keys(headers).length > 0) response.headers = headers;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Every integer the service takes or sends fits 32 bits (versions and counters are PostgreSQL
 * `integer`s; sizes, limits and seconds are bounded far below): the document says `int32` once
 * here rather than at each of the schemas. An integer allowed to grow past it must say `int64`.
 */
function int32Formats(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(int32Formats);
  if (!node || typeof node !== "object") return;
  const schema = node as Schema;
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if (types.includes("integer") && schema.format === undefined) {
    if (typeof schema.maximum === "number" && schema.maximum > INT32_MAX) throw new Error("an integer above 2^31-1 must declare format int64");
    schema.format = "int32";
  }
  for (const [key, value] of Object.entries(schema)) if (key !== "example" && key !== "examples") int32Formats(value);
}

/** For the document's introduction: each code with its status and page. */
export function codeTable(): string {
  return ERROR_CODES.map((c) => `| \`${c}\` | ${statusByCode[c]} | [${PROBLEM_CATALOG[c].title}](/problems/${problemSlug(c)}) |`).join("\n");
}
