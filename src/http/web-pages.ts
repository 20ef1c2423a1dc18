import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { problem } from "./problem.js";

export interface WebPagesOptions {
  /** The Vite build (`web/dist`): join.html, console.html and assets/. */
  distDir: string;
  /** Video domains of the tenant a join token belongs to ([] for a token that does not verify). */
  domainsForJoinToken(token: string): Promise<string[]>;
  /** Video domains of a tenant named in the console's URL ([] when unknown). */
  domainsForTenant(tenantId: string): Promise<string[]>;
  /** The console's OpenID Connect provider, when staff sign in through one. */
  oidc?: { authority: string; clientId: string; scope: string };
}

const HOST = /^[a-z0-9.-]+(:\d{1,5})?$/i;

/**
 * The CSP of a page: our own scripts only (no inline script anywhere), and the tenant's video
 * domains — exactly those — for Jitsi's external_api.js and the frame it opens.
 */
export function pageCsp(videoDomains: string[], connect: string[] = []): string {
  const video = videoDomains.filter((d) => HOST.test(d)).map((d) => `https://${d}`);
  const list = (base: string) => [base, ...video].join(" ");
  return [
    "default-src 'self'",
    `script-src ${list("'self'")}`,
    `frame-src ${video.length ? video.join(" ") : "'none'"}`,
    `connect-src ${["'self'", ...connect].join(" ")}`,
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * GET /join (the patient's page) and GET /console (the clinician's), built by Vite into web/dist.
 * Both pages show patient data once loaded, so neither may be stored by a cache; the join link's
 * token sits in the URL, so no Referer leaves the page. Hashed assets are immutable.
 */
export function webPages(options: WebPagesOptions) {
  return async (app: FastifyInstance) => {
    const html = (name: string) => {
      const file = join(options.distDir, name);
      // Read per request only until found: a missing build (tests without `npm run build:web`) is a clear 503.
      return existsSync(file) ? readFileSync(file, "utf8") : null;
    };
    // The console's browser code talks to the OIDC provider itself (discovery, token endpoint).
    const oidcOrigin = options.oidc ? [new URL(options.oidc.authority).origin] : [];
    const send = (reply: FastifyReply, page: string | null, domains: string[], connect: string[] = []) => {
      if (page === null) return reply.code(503).type("application/problem+json").send(problem(503, "INTERNAL", "the web app is not built: run npm run build:web"));
      return reply
        .header("content-security-policy", pageCsp(domains, connect))
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .header("permissions-policy", "camera=(self), microphone=(self), display-capture=(self)")
        .type("text/html; charset=utf-8")
        .send(page);
    };
    const hide = { schema: { hide: true } };
    app.get<{ Querystring: { token?: string } }>("/join", hide, async (req, reply) => {
      const token = typeof req.query.token === "string" ? req.query.token : "";
      return send(reply, html("join.html"), token ? await options.domainsForJoinToken(token) : []);
    });
    app.get<{ Querystring: { tenant?: string } }>("/console", hide, async (req, reply) => {
      const tenant = typeof req.query.tenant === "string" ? req.query.tenant : "";
      return send(reply, html("console.html"), tenant ? await options.domainsForTenant(tenant) : [], oidcOrigin);
    });
    // What the console needs to know before anyone signs in: how to sign in.
    app.get("/console/config.json", hide, async (_req, reply) =>
      reply.header("cache-control", "no-store").send({ oidc: options.oidc ?? null }),
    );
    if (existsSync(join(options.distDir, "assets"))) {
      await app.register(fastifyStatic, {
        root: join(options.distDir, "assets"),
        prefix: "/assets/",
        // File names carry a content hash.
        immutable: true,
        maxAge: "365d",
        index: false,
        wildcard: true,
      });
    }
  };
}
