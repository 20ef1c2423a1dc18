import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, type TestApp } from "../support/app.js";

// Issue 20, item 5: connection exhaustion. Small bounds so the test is short (defaults: README).
const HEADERS_MS = 1000;
const KEEP_ALIVE_MS = 1000;
const IDLE_MS = 3000;
const REQUEST_MS = 1500;
const CAP = 50;
const ATTEMPTS = 300;

describe("connection bounds (real sockets)", () => {
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    app = await bootApp({
      database: "pglite",
      env: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
        HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
        HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(CAP),
      },
    });
    await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.service.app.server.address() as { port: number }).port;
  });
  afterAll(() => app?.close());

  /** A raw socket from `from`; resolves once connected. `closed` resolves with the ms it lived. */
  const open = (from = "127.0.0.1") =>
    new Promise<{ socket: Socket; closed: Promise<number>; received: () => string }>((resolve, reject) => {
      const started = performance.now();
      let data = "";
      const socket = connect({ port, host: "127.0.0.1", localAddress: from });
      const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - started)));
      socket.on("data", (chunk) => (data += chunk.toString("latin1")));
      socket.on("error", () => undefined);
      socket.once("connect", () => resolve({ socket, closed, received: () => data }));
      socket.once("close", () => reject(new Error("closed before connecting")));
    });
  const connections = () => new Promise<number>((r, j) => app.service.app.server.getConnections((err, n) => (err ? j(err) : r(n))));
  const healthzFrom = (from: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ port, host: "127.0.0.1", localAddress: from, path: "/healthz", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  it("when one address opens hundreds of idle connections, then only the cap stays open, /healthz answers others, and the idle ones are closed by the server", async () => {
    const sockets = await Promise.all(Array.from({ length: ATTEMPTS }, () => open()));
    expect(await healthzFrom("127.0.0.2")).toBe(200);
    expect(await connections()).toBeLessThanOrEqual(CAP + 1);
    // The ones it kept, silent, are closed by the server once the headers bound has passed; those
    // over the cap were closed at once, before any bound could apply.
    const lived = await Promise.all(sockets.map((s) => s.closed));
    expect(lived.filter((ms) => ms < HEADERS_MS / 2).length).toBeGreaterThanOrEqual(ATTEMPTS - CAP);
    expect(lived.filter((ms) => ms >= HEADERS_MS - 100).length).toBeLessThanOrEqual(CAP);
    expect(await connections()).toBe(0);
    expect(await healthzFrom("127.0.0.1")).toBe(200);
  });

  it("when a kept-alive connection stays idle, then the server closes it after HTTP_KEEP_ALIVE_TIMEOUT_MS", async () => {
    const { socket, closed, received } = await open();
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const lived = await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 200/);
    expect(lived).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 100);
  });

  it("when a client sends its headers a byte at a time, then the connection is cut after HTTP_HEADERS_TIMEOUT_MS", async () => {
    const { socket, closed } = await open();
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    const drip = setInterval(() => socket.writable && socket.write("a"), 100);
    try {
      expect(await closed).toBeGreaterThanOrEqual(HEADERS_MS - 100);
    } finally {
      clearInterval(drip);
    }
  });

  it("when a client sends its body slowly, then it gets 503 REQUEST_TIMEOUT at the request bound and the connection is closed", async () => {
    const { socket, closed, received } = await open();
    socket.write("POST /v1/join/validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{\"token\":\"");
    const drip = setInterval(() => socket.writable && socket.write("a"), 50);
    try {
      const lived = await closed;
      expect(received()).toMatch(/^HTTP\/1\.1 503/);
      expect(received()).toContain("REQUEST_TIMEOUT");
      expect(lived).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    } finally {
      clearInterval(drip);
    }
  });
});
