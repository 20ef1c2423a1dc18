import { Type, type TSchema } from "@sinclair/typebox";
import type { ErrorCode } from "../../domain/errors.js";
import { Problem } from "../../platform/schemas.js";
import { ERROR_CODES, PROBLEM_CATALOG, problemSlug } from "../problem-catalog.js";
import { problem, statusByCode } from "../problem.js";

/**
 * What a route's `response` schema is built from, so that the OpenAPI document says what the wire
 * does: success answers with their description, headers and media type; problem answers with the
 * `code`s they can carry (an enum per status) and an example of each. The HTTP edge's own answers
 * (401 from authentication, 414, 415, 429, 503...) are added to every route by complete-document.ts.
 */

/** Response headers the document describes (components.headers; complete-document.ts adds `required`). */
export const RESPONSE_HEADERS = {
  ETag: {
    description: 'The version of the session (or tenant config) after this answer, as an entity tag: `"3"`. Send it back as `If-Match` to change it only if nobody else did.',
    schema: { type: "string", pattern: '^"[0-9]+"$', examples: ['"3"'] },
  },
  Location: { description: "The created session's URL.", schema: { type: "string", format: "uri-reference", examples: ["/v1/sessions/2f1c7a0e-5b8d-4c3e-9a61-0d2b7e4f9c15"] } },
  "Idempotent-Replayed": {
    description: "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` (nothing new was created).",
    schema: { type: "string", enum: ["true"] },
  },
  "Content-Disposition": { description: 'Always `attachment; filename="…"`: save the file, never render it inline.', schema: { type: "string", examples: ['attachment; filename="arm.png"'] } },
} as const;
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** The header schemas of a response (Fastify's form: name → schema with a description). */
const headersOf = (names: readonly ResponseHeader[]) =>
  names.length === 0 ? {} : { headers: Object.fromEntries(names.map((n) => [n, { ...RESPONSE_HEADERS[n].schema, description: RESPONSE_HEADERS[n].description }])) };

export interface AnswerOptions {
  /** Headers this answer always carries (the edge's RateLimit headers are added for every /v1 route). */
  headers?: readonly ResponseHeader[];
  /** A typical body (when the schema is a reference, its component's `examples` serve too). */
  example?: unknown;
}

/** A JSON success answer: its schema, what it is, the headers it carries and an example. */
export function json(schema: TSchema | object, description: string, opts: AnswerOptions = {}) {
  const example = opts.example === undefined ? {} : { example: opts.example };
  return { description, ...headersOf(opts.headers ?? []), content: { "application/json": { schema, ...example } } };
}

/** A success answer without a body (202, 204). */
export function noBody(description: string, headers: readonly ResponseHeader[] = []) {
  return { description, ...headersOf(headers), type: "null" as const };
}

/** One named event of a Server-Sent Events stream and the JSON its `data` line carries. */
export interface StreamEvent {
  event: string;
  description: string;
  data: TSchema | object;
  /** The parsed `data` of a typical event (the document's example). */
  example: unknown;
}

/**
 * A `text/event-stream` answer. Its schema describes one event as a client's SSE parser hands it
 * over: the `event` name and the `data` text, JSON whose schema is `contentSchema` (JSON Schema
 * 2020-12, as OpenAPI 3.2's `itemSchema` describes streams). `: comment` lines only keep the
 * connection open.
 */
export function eventStream(description: string, events: StreamEvent[]) {
  const first = events[0]!;
  return {
    description:
      `${description} Server-Sent Events: each event is an \`event:\` line naming it and a \`data:\` line of JSON; ` +
      "lines starting with `:` are keep-alive comments (every 15 s). The stream stays open until the client closes it or the events say it ended.",
    content: {
      "text/event-stream": {
        schema: events.length === 1 ? { ...eventSchema(first), description: `One event, as an SSE parser delivers it: ${first.description}` } : {
          type: "object",
          description: "One event, as an SSE parser delivers it (`event` and `data` fields of the frame)",
          oneOf: events.map(eventSchema),
        },
        example: { event: first.event, data: JSON.stringify(first.example) },
      },
    },
  };
}

const eventSchema = (e: StreamEvent) => ({
  type: "object",
  title: e.event,
  description: e.description,
  required: ["event", "data"],
  properties: {
    event: { type: "string", const: e.event },
    data: { type: "string", contentMediaType: "application/json", contentSchema: e.data },
  },
});

/** The problem answers of a route, by the codes it can answer (grouped into statuses). */
export function problems(...codes: ErrorCode[]): Record<number, ReturnType<typeof problemResponse>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusByCode[code], [...(byStatus.get(statusByCode[code]) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, problemResponse(status, list, Type.Ref(Problem))]));
}

/**
 * The documented answer for problems of one status: the Problem schema with `code` narrowed to
 * `codes`, an example of each code, and a description naming them (each code's page is
 * `/problems/{code}`). complete-document.ts rebuilds these after adding the edge's codes.
 */
export function problemResponse(status: number, codes: readonly ErrorCode[], problemSchema: object) {
  const sorted = ERROR_CODES.filter((c) => codes.includes(c));
  return {
    description: sorted.map((c) => `\`${c}\` (${PROBLEM_CATALOG[c].title}, /problems/${problemSlug(c)})`).join("; "),
    content: {
      "application/problem+json": {
        schema: { allOf: [problemSchema, { type: "object", properties: { code: { type: "string", enum: sorted } } }] },
        examples: Object.fromEntries(
          sorted.map((c) => {
            const kind = PROBLEM_CATALOG[c];
            return [c, { summary: kind.title, value: problem(status, c, kind.exampleDetail, kind.exampleExtensions) }];
          }),
        ),
      },
    },
  };
}
