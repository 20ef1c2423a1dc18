import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { followEvents, RETRY_CAP_MS, RETRY_FIRST_MS } from "../../web/src/console/live-events.js";

/** A server whose answers to the console's stream are scripted one per request. */
async function scriptedServer(answers: Array<"503" | "event" | "401">) {
  const served: string[] = [];
  const server: Server = createServer((req, res) => {
    const next = answers.shift() ?? "503";
    served.push(next);
    if (next === "event") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end('event: waiting\ndata: {"items":[]}\n\n');
    } else {
      res.writeHead(Number(next), { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ code: next === "401" ? "UNAUTHENTICATED" : "SERVICE_OVERLOADED" }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { served, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sessions/events`, close: () => server.close() };
}

describe("the console's event streams: reconnect with growing waits, never after a refused sign-in", () => {
  let close = () => undefined as unknown;
  afterEach(() => close());

  it("when the stream keeps failing, then the waits double from 1 s up to 30 s; after a stream that delivered they start over; a 401 ends it", async () => {
    const script: Array<"503" | "event" | "401"> = ["503", "503", "503", "503", "503", "503", "503", "event", "503", "401"];
    const server = await scriptedServer(script);
    close = server.close;
    const waits: number[] = [];
    const events: string[] = [];
    const denied: number[] = [];
    // The documented path on the test server's origin (Node's fetch needs an absolute URL).
    await followEvents({ kind: "staff", token: "t" }, server.url as "/v1/sessions/events", (event) => events.push(event), {
      signal: new AbortController().signal,
      onDenied: (status) => denied.push(status),
      pause: async (ms) => void waits.push(ms),
    });
    expect(server.served).toEqual(["503", "503", "503", "503", "503", "503", "503", "event", "503", "401"]);
    expect(events).toEqual(["waiting"]);
    expect(denied).toEqual([401]);
    // Each wait is its step (1, 2, 4 … 30 s) times a random factor between 0.5 and 1.5.
    const steps = [1, 2, 4, 8, 16, 30, 30, 1, 2].map((s) => s * RETRY_FIRST_MS);
    expect(waits).toHaveLength(steps.length);
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(steps[i]! * 0.5);
      expect(w).toBeLessThanOrEqual(Math.min(steps[i]!, RETRY_CAP_MS) * 1.5);
    });
  });
});
