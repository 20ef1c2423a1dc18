import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Bounds on the sockets themselves (README "Configuration", docs/operations.md "Connections"). */
export interface ConnectionLimits {
  /** HTTP_HEADERS_TIMEOUT_MS: a client must have sent its request line and headers within this. */
  headersTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: an idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** HTTP_IDLE_TIMEOUT_MS: a connection that carries no byte for this long mid-request is closed. */
  idleTimeoutMs: number;
  /** Node's own bound on receiving a whole request (a backstop: the request deadline answers first). */
  requestReceiveTimeoutMs: number;
  /** HTTP_MAX_CONNECTIONS_PER_ADDRESS: open connections one peer address may hold (0: no cap). */
  maxConnectionsPerAddress: number;
}

/**
 * How often Node checks the headers and request bounds (its default, 30 s, would let a slow
 * client hold a socket up to 30 s past its bound).
 */
export const CONNECTION_CHECK_INTERVAL_MS = 1000;

/**
 * Timeouts on the server and a cap of open connections per peer address: a client opening
 * thousands of idle or slow connections ran the process out of file descriptors, and then
 * `/healthz` failed for everyone (issue 20, item 5). A connection past the cap is closed at once,
 * before a byte is read, so one address cannot take what the others (probes, other clients) need.
 * The address is the socket's peer: behind a reverse proxy that is the proxy (docs/operations.md).
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits): void {
  // Read by Node when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CONNECTION_CHECK_INTERVAL_MS;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.requestTimeout = Math.max(limits.requestReceiveTimeoutMs, limits.headersTimeoutMs);
  server.setTimeout(limits.idleTimeoutMs);
  if (limits.maxConnectionsPerAddress <= 0) return;
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const address = peer(socket);
    const count = open.get(address) ?? 0;
    if (count >= limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** IPv4 clients of a dual-stack listener show as ::ffff:a.b.c.d: one address, one count. */
function peer(socket: Socket): string {
  const address = socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
