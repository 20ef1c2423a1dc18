/**
 * The Virtual Care Service's HTTP API, typed from its OpenAPI document: `createVirtualCareClient`
 * is openapi-fetch over the generated `paths`, so every path, parameter, body and answer is checked
 * by the compiler; `readEvents` reads the three Server-Sent Events streams with their events typed.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./generated/virtual-care-api.js";

export type { components, operations, paths } from "./generated/virtual-care-api.js";
export { API_VERSION } from "./generated/virtual-care-api.js";

/** The document's schemas, e.g. `Schemas["Session"]`. */
export type Schemas = components["schemas"];
/** An RFC 9457 problem, as every error answer carries it. */
export type Problem = Schemas["Problem"];
/** Every `code` a problem can carry; each operation's answers list the ones it can give. */
export type ErrorCode = Problem["code"];

/** Staff send a bearer JWT; patients and guests their join token. */
export type Credential = { bearer: string } | { joinToken: string };

export interface VirtualCareClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** Where the service answers, e.g. `https://care.example.org`. */
  baseUrl: string;
  credential?: Credential;
}

export type VirtualCareClient = Client<paths>;

export function credentialHeaders(credential: Credential | undefined): Record<string, string> {
  if (!credential) return {};
  return "bearer" in credential ? { authorization: `Bearer ${credential.bearer}` } : { "x-join-token": credential.joinToken };
}

/**
 * A client for one credential:
 *
 *   const api = createVirtualCareClient({ baseUrl, credential: { bearer: token } });
 *   const { data, error, response } = await api.POST("/v1/sessions", { body: { patientId, providerId, scheduledStart } });
 *   if (error) console.log(error.code); // typed by the operation's documented codes
 */
export function createVirtualCareClient(options: VirtualCareClientOptions): VirtualCareClient {
  const { credential, headers, ...rest } = options;
  return createClient<paths>({ ...rest, headers: { ...credentialHeaders(credential), ...(headers as Record<string, string> | undefined) } });
}

/** What each stream sends: event name → its `data` (JSON). */
export interface StreamEvents {
  "/v1/join/events": { status: Schemas["JoinStatus"]; problem: Problem };
  "/v1/sessions/{id}/events": { participants: { items: Schemas["Participant"][] }; problem: Problem };
  "/v1/sessions/events": { waiting: Schemas["WaitingBoard"] };
}
export type StreamPath = keyof StreamEvents;
/** One event of a stream; narrowing on `event` types `data`. */
export type StreamEvent<P extends StreamPath> = { [E in keyof StreamEvents[P]]: { event: E; data: StreamEvents[P][E] } }[keyof StreamEvents[P]];

/**
 * The events of a stream's answer, as they arrive, until the stream ends (or the caller stops
 * reading: `break` cancels the body). Open the stream with openapi-fetch's `parseAs: "stream"`:
 *
 *   const { response } = await api.GET("/v1/join/events", { parseAs: "stream", params: { header: { "x-join-token": token } } });
 *   for await (const e of readEvents<"/v1/join/events">(response)) if (e.event === "status") show(e.data.participantStatus);
 */
export async function* readEvents<P extends StreamPath>(response: Response): AsyncGenerator<StreamEvent<P>> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseFrame(frame);
        if (event) yield event as StreamEvent<P>;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** An SSE frame's event name and JSON data; null for a comment-only (keep-alive) frame. */
function parseFrame(frame: string): { event: string; data: unknown } | null {
  let event = "message";
  const data: string[] = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length === 0 ? null : { event, data: JSON.parse(data.join("\n")) as unknown };
}
