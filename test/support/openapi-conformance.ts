import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * Holds answers from the wire against the OpenAPI document the service serves: the operation for
 * the method and path, the documented response for the status, its media type, its schema (Ajv
 * 2020-12 over the document itself), its headers (every documented header's schema, the required
 * ones present, and no API header on the wire that the document does not name). An SSE answer is
 * checked event by event, each event's `data` against the `contentSchema` of its event name.
 */

/** What a check needs of an answer (light-my-request's response, or a fetch Response read out). */
export interface WireAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body as text (JSON, SSE frames); binary bodies are not read. */
  body: string;
}

/** Headers a client reads as part of the API: each one on the wire must be documented for that answer. */
const API_HEADERS = [
  "etag",
  "location",
  "idempotent-replayed",
  "retry-after",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "www-authenticate",
  "content-disposition",
];

type Json = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

const escape = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

export class DocumentConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ path: string; pattern: RegExp; params: number }>;
  private readonly doc: Doc;
  /** operationId → statuses seen, for coverage. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly document: object) {
    const doc = document as Doc;
    this.doc = doc;
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, "openapi.json");
    this.templates = Object.keys(doc.paths)
      .map((path) => ({
        path,
        // An empty parameter matches too, as in Fastify's router (`/v1/link-requests//resolve`).
        pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]*")}$`),
        params: (path.match(/\{/g) ?? []).length,
      }))
      // A literal segment wins over a parameter, as in Fastify's router (/v1/sessions/events).
      .sort((a, b) => a.params - b.params);
  }

  /** Every operation of the document: `METHOD /path` with its id. */
  operations(): Array<{ method: string; path: string; operationId: string; op: Json }> {
    return Object.entries(this.doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, operationId: String(op.operationId), op })),
    );
  }

  /** The mismatches between this answer and the document ([] when it conforms). */
  check(method: string, url: string, answer: WireAnswer): string[] {
    const where = `${method} ${url.split("?")[0]} → ${answer.statusCode}`;
    const path = url.split("?")[0]!;
    const template = this.templates.find((t) => t.pattern.test(path) && this.doc.paths[t.path]![method.toLowerCase()]);
    if (!template) return [`${where}: no operation in the document`];
    const op = this.doc.paths[template.path]![method.toLowerCase()]!;
    const opPointer = `#/paths/${escape(template.path)}/${method.toLowerCase()}`;
    const responses = op.responses as Record<string, Json>;
    const status = String(answer.statusCode);
    const key = [status, `${status[0]}XX`, "default"].find((k) => responses[k]);
    if (!key) return [`${where}: status not documented (documented: ${Object.keys(responses).join(", ")})`];
    const operationId = String(op.operationId);
    this.seen.set(operationId, (this.seen.get(operationId) ?? new Set()).add(answer.statusCode));
    let response = responses[key]!;
    let pointer = `${opPointer}/responses/${key}`;
    if (typeof response.$ref === "string") {
      pointer = response.$ref;
      response = this.resolve(response.$ref);
    }
    return [...this.checkBody(where, pointer, response, answer), ...this.checkHeaders(where, response, answer)];
  }

  private checkBody(where: string, pointer: string, response: Json, answer: WireAnswer): string[] {
    const content = response.content as Record<string, Json> | undefined;
    const type = String(answer.headers["content-type"] ?? "").split(";")[0]!.trim();
    if (!content) return answer.body.length === 0 ? [] : [`${where}: a body (${type}) where the document has none`];
    if (!content[type]) return [`${where}: content type ${type || "(none)"} not documented (documented: ${Object.keys(content).join(", ")})`];
    const schemaPointer = `${pointer}/content/${escape(type)}/schema`;
    if (type === "application/json" || type.endsWith("+json")) {
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch {
        return [`${where}: ${type} body is not JSON`];
      }
      return this.validate(schemaPointer, body).map((e) => `${where}: ${e}`);
    }
    if (type === "text/event-stream") return this.checkEvents(where, schemaPointer, answer.body);
    return [];
  }

  /** Each complete SSE frame: `{event, data}` against the event schema, `data` as JSON against its contentSchema. */
  private checkEvents(where: string, schemaPointer: string, text: string): string[] {
    const schema = this.resolve(schemaPointer);
    const branches = (schema.oneOf as Json[] | undefined)?.map((_, i) => `${schemaPointer}/oneOf/${i}`) ?? [schemaPointer];
    const problems: string[] = [];
    const frames = text.split("\n\n").slice(0, -1);
    for (const frame of frames) {
      const lines = frame.split("\n").filter((l) => !l.startsWith(":"));
      if (lines.length === 0) continue;
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      const branch = branches.find((b) => (this.resolve(`${b}/properties/event`) as { const?: string; enum?: string[] }).enum?.includes(event) || this.resolve(`${b}/properties/event`).const === event);
      if (!branch) {
        problems.push(`${where}: event "${event}" not documented`);
        continue;
      }
      problems.push(...this.validate(branch, { event, data }).map((e) => `${where} event ${event}: ${e}`));
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        problems.push(`${where} event ${event}: data is not JSON`);
        continue;
      }
      problems.push(...this.validate(`${branch}/properties/data/contentSchema`, parsed).map((e) => `${where} event ${event} data: ${e}`));
    }
    return problems;
  }

  private checkHeaders(where: string, response: Json, answer: WireAnswer): string[] {
    const documented = new Map<string, Json>();
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      documented.set(name.toLowerCase(), typeof header.$ref === "string" ? this.resolve(header.$ref) : header);
    }
    const problems: string[] = [];
    for (const name of API_HEADERS) {
      if (answer.headers[name] !== undefined && !documented.has(name)) problems.push(`${where}: header ${name} on the wire, not documented`);
    }
    for (const [name, header] of documented) {
      const value = answer.headers[name];
      if (value === undefined) {
        if (header.required === true) problems.push(`${where}: documented required header ${name} missing`);
        continue;
      }
      const schema = header.schema as Json;
      const text = String(value);
      const typed = schema.type === "integer" || schema.type === "number" ? Number(text) : text;
      const validate = this.ajv.compile(schema);
      if (!validate(typed)) problems.push(`${where}: header ${name}: ${JSON.stringify(text)} ${this.ajv.errorsText(validate.errors)}`);
    }
    return problems;
  }

  private validate(pointer: string, value: unknown): string[] {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${pointer}` });
      this.compiled.set(pointer, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }

  private resolve(pointer: string): Json {
    const parts = pointer.replace(/^#\//, "").split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    let node: unknown = this.doc;
    for (const part of parts) node = (node as Json)[part];
    return node as Json;
  }
}
