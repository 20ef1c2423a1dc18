/**
 * Calls to the service, typed by path and method from the OpenAPI document the service serves
 * (clients/typescript/src/generated/virtual-care-api.ts, written by `npm run api:client`): a path the document
 * does not have, a missing path parameter or a wrong body fails the web app's type check. Errors
 * arrive as RFC 9457 problems; `ApiError` keeps their code. Hand-written rather than openapi-fetch
 * so the patient page carries no client library: the types cost nothing at run time.
 */
import type { components, paths } from "../../clients/typescript/src/generated/virtual-care-api.js";

/** The document's schemas, e.g. `Schema["Session"]`: the only wire types the web app uses. */
export type Schema = components["schemas"];
export type Problem = Schema["Problem"];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly problem: Partial<Problem>,
  ) {
    super(`${status} ${code}`);
  }
}

export type Credential = { kind: "join"; token: string } | { kind: "staff"; token: string };

export function authHeaders(c: Credential): Record<string, string> {
  return c.kind === "join" ? { "x-join-token": c.token } : { authorization: `Bearer ${c.token}` };
}

type Method = "GET" | "PUT" | "POST" | "DELETE" | "PATCH";
/** The paths the document declares for a method. */
export type PathOf<M extends Method> = { [P in keyof paths]: paths[P][Lowercase<M>] extends undefined ? never : P }[keyof paths];
/** The operation the document declares for a path and method. */
export type Operation<M extends Method, P extends PathOf<M>> = NonNullable<paths[P][Lowercase<M>]>;

type Parameters_<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = Parameters_<O> extends { path: infer X } ? X : never;
type QueryParams<O> = NonNullable<Parameters_<O> extends { query?: infer Q } ? Q : never>;
type JsonBody<O> = O extends { requestBody?: infer R } ? (NonNullable<R> extends { content: { "application/json": infer B } } ? B : never) : never;

/** What a call passes besides the path: each part present exactly when the document has it. */
export type Init<O> = ([PathParams<O>] extends [never] ? { path?: never } : { path: PathParams<O> }) &
  ([QueryParams<O>] extends [never] ? { query?: never } : { query?: QueryParams<O> }) &
  ([JsonBody<O>] extends [never] ? { body?: never } : O extends { requestBody: unknown } ? { body: JsonBody<O> } : { body?: JsonBody<O> }) & {
    headers?: Record<string, string>;
  };

type Success = 200 | 201 | 202 | 204;
/** The JSON a successful answer carries (undefined when the document gives it no body). */
export type Answer<O> = O extends { responses: infer R }
  ? { [S in keyof R & Success]: R[S] extends { content: { "application/json": infer J } } ? J : undefined }[keyof R & Success]
  : never;

/** The answer of a path and method, e.g. `AnswerOf<"GET", "/v1/join/status">`. */
export type AnswerOf<M extends Method, P extends PathOf<M>> = Answer<Operation<M, P>>;

type InitArgs<O> = {} extends Init<O> ? [init?: Init<O>] : [init: Init<O>];

/** The URL of a documented path with its parameters filled in, for the few calls that need the raw response. */
export function apiUrl<M extends Method, P extends PathOf<M>>(_method: M, path: P, ...[init]: InitArgs<Operation<M, P>>): string {
  const params = (init?.path ?? {}) as Record<string, string>;
  const url: string = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries((init?.query ?? {}) as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) query.append(key, String(v));
  }
  // toString(), not .size: Safari before 17 has no URLSearchParams#size.
  const qs = query.toString();
  return qs ? `${url}?${qs}` : url;
}

/** A problem answer as ApiError; anything unreadable counts as INTERNAL. */
export function toApiError(status: number, json: unknown): ApiError {
  const problem = (json && typeof json === "object" ? json : {}) as Partial<Problem>;
  return new ApiError(status, problem.code ?? "INTERNAL", problem);
}

export async function api<M extends Method, P extends PathOf<M>>(
  c: Credential,
  method: M,
  path: P,
  ...args: InitArgs<Operation<M, P>>
): Promise<Answer<Operation<M, P>>> {
  const init = args[0] as { body?: unknown; headers?: Record<string, string> } | undefined;
  const body = init?.body;
  const res = await fetch(apiUrl(method, path, ...args), {
    method,
    headers: { ...authHeaders(c), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...init?.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw toApiError(res.status, json);
  return json as Answer<Operation<M, P>>;
}

/**
 * What each event stream's events carry: the schemas the document names as each event's
 * `contentSchema` (OpenAPI's generators type a stream's frames as text, so the map is written here).
 */
export interface StreamEvents {
  "/v1/join/events": { status: Schema["JoinStatus"]; problem: Partial<Problem> };
  "/v1/sessions/{id}/events": { participants: AnswerOf<"GET", "/v1/sessions/{id}/participants"> };
  "/v1/sessions/events": { waiting: Schema["WaitingBoard"] };
}
/** A visit with someone in its waiting room, as `event: waiting` carries it (see StreamEvents). */
export type WaitingVisit = Schema["WaitingBoard"]["items"][number];
export type StreamPath = keyof StreamEvents & PathOf<"GET">;
/** `(event, data)` with data typed by the event's name: narrowing on `event` types `data`. */
export type StreamEventArgs<P extends StreamPath> = { [E in keyof StreamEvents[P]]: [event: E, data: StreamEvents[P][E]] }[keyof StreamEvents[P]];

/**
 * Server-Sent Events read with fetch, so the credential goes in a header and never in a URL
 * (EventSource cannot send headers). Resolves when the stream ends; `onEvent` gets each event.
 * Asked at low priority: a stream never finishes, and nothing on screen waits for it, so the
 * browser (and a page-load monitor such as Lighthouse) must not count it among the requests the
 * page needs to be ready, as it does not count an EventSource.
 */
export async function readEvents<P extends StreamPath>(
  c: Credential,
  path: P,
  onEvent: (...args: StreamEventArgs<P>) => void,
  signal: AbortSignal,
  ...init: InitArgs<Operation<"GET", P>>
): Promise<void> {
  const res = await fetch(apiUrl("GET", path, ...init), { headers: { ...authHeaders(c), accept: "text/event-stream" }, signal, cache: "no-store", priority: "low" });
  if (!res.ok) throw toApiError(res.status, await res.json().catch(() => undefined));
  if (!res.body) throw new Error("no stream");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      let data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) (onEvent as (event: string, data: unknown) => void)(event, JSON.parse(data));
    }
  }
}
