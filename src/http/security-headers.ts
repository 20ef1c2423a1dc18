import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";

export interface SecurityHeaderOptions {
  /** Strict-Transport-Security max-age; sent only when the public base URL is https (0: never). */
  hstsMaxAgeSeconds: number;
  /** The service is reached over TLS (PUBLIC_BASE_URL is https), possibly through a proxy. */
  behindTls: boolean;
}

/** Scalar's page runs inline scripts and styles; nothing else may load and nobody may frame it. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data: https://fonts.scalar.com; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** JSON answers are never rendered: a browser tricked into opening one runs nothing. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/**
 * The web app's built scripts. A script run as a worker (the patient page's network check) takes
 * the policy of its own answer, not the page's: it may call this service, and load nothing.
 */
const SCRIPT_CSP = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'";

/**
 * Response headers for every route: nosniff everywhere, a CSP, HSTS behind TLS, and
 * `Cache-Control: no-store` on every /v1 answer (they carry patient data or join grants, which
 * no shared or browser cache should keep).
 */
export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  const hsts = options.behindTls && options.hstsMaxAgeSeconds > 0 ? `max-age=${options.hstsMaxAgeSeconds}; includeSubDomains` : null;
  // Callback style, not async: a hook on every answer should not cost a promise per request.
  app.addHook("onSend", (req, reply, payload, done) => {
    reply.header("x-content-type-options", "nosniff");
    const path = (req.url ?? "").split("?")[0] ?? "";
    // Pages that set their own policy (the patient page and console: the tenant's video domains)
    // keep it; everything else gets the docs' or the API's.
    if (!reply.hasHeader("content-security-policy")) {
      const docs = path === "/docs" || path.startsWith("/docs/");
      const script = path.startsWith("/assets/") && path.endsWith(".js");
      reply.header("content-security-policy", docs ? DOCS_CSP : script ? SCRIPT_CSP : API_CSP);
    }
    if (hsts) reply.header("strict-transport-security", hsts);
    if (path.startsWith("/v1/")) reply.header("cache-control", "no-store");
    done(null, payload);
  });
}

/** RFC 6750 §3 / RFC 7235: every 401 names the scheme to use (a join token is its own scheme). */
export function wwwAuthenticate(code: string, authorization: string | undefined): string {
  if (code === "TOKEN_INVALID" || code === "TOKEN_EXPIRED") return `JoinToken realm="virtual-care"`;
  return authorization ? `Bearer realm="virtual-care", error="invalid_token"` : `Bearer realm="virtual-care"`;
}

/** Headers a reverse proxy adds to what it relays: a request carrying one was not made on this host. */
const RELAYED = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via"];

/**
 * Who may read /metrics: with METRICS_TOKEN, a bearer of it (compared in constant time); without
 * it, only a client on the same host (a sidecar scraper), never the public listener's callers.
 * A reverse proxy on the same host connects from loopback too (issue 20, item 7): a request that
 * was relayed (forwarding headers), or any request when proxies are declared (TRUST_PROXY), is not
 * taken as local. A same-host proxy that adds no such header cannot be told apart: set the token.
 */
export function metricsAllowed(req: FastifyRequest, token: string | undefined, trustProxyHops = 0): boolean {
  if (token) {
    const sent = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "");
    const want = Buffer.from(token);
    return sent.length === want.length && timingSafeEqual(sent, want);
  }
  if (trustProxyHops > 0 || RELAYED.some((h) => req.headers[h] !== undefined)) return false;
  const from = req.socket.remoteAddress ?? "";
  return from === "127.0.0.1" || from === "::1" || from === "::ffff:127.0.0.1";
}
