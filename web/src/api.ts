/** Calls to the service. Errors arrive as RFC 9457 problems; `ApiError` keeps their code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly problem: Record<string, unknown>,
  ) {
    super(`${status} ${code}`);
  }
}

export type Credential = { kind: "join"; token: string } | { kind: "staff"; token: string };

export function authHeaders(c: Credential): Record<string, string> {
  return c.kind === "join" ? { "x-join-token": c.token } : { authorization: `Bearer ${c.token}` };
}

export async function api<T>(c: Credential, method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { ...authHeaders(c), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, (json?.code as string) ?? "INTERNAL", json ?? {});
  return json as T;
}

/**
 * Server-Sent Events read with fetch, so the credential goes in a header and never in a URL
 * (EventSource cannot send headers). Resolves when the stream ends; `onEvent` gets each event.
 */
export async function readEvents(
  c: Credential,
  path: string,
  onEvent: (event: string, data: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(path, { headers: { ...authHeaders(c), accept: "text/event-stream" }, signal, cache: "no-store" });
  if (!res.ok) {
    const json = await res.json().catch(() => ({}));
    throw new ApiError(res.status, json.code ?? "INTERNAL", json);
  }
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
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}
