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
  /** The console's OpenID Connect provider, when staff sign in through one. */
  oidc?: { authority: string; clientId: string; scope: string };
}

const HOST = /^[a-z0-9.-]+(:\d{1,5})?$/i;

/**
 * Where the page may embed the video room from: the tenant's video domains (the join page, whose
 * token names the tenant), or any https origin (the console, which cannot know its tenant before
 * sign-in — staff tokens live in sessionStorage — and must not tell strangers which tenants exist).
 */
export type VideoFrames = { domains: string[] } | "any-https";

function frameOrigins(frames: VideoFrames): string[] {
  return frames === "any-https" ? [] : frames.domains.filter((d) => HOST.test(d)).map((d) => `https://${d}`);
}

/**
 * The CSP of a page: our own scripts only — never the video domain's (a tenant setting must not
 * run script next to other tenants' data) — and the video room as a frame of its own origin.
 */
export function pageCsp(frames: VideoFrames, connect: string[] = []): string {
  const origins = frameOrigins(frames);
  return [
    "default-src 'self'",
    "script-src 'self'",
    `frame-src ${frames === "any-https" ? "https:" : origins.length ? origins.join(" ") : "'none'"}`,
    `connect-src ${["'self'", ...connect].join(" ")}`,
    // https images: the clinic's logo (tenant branding) may live on the clinic's own site.
    "img-src 'self' blob: data: https:",
    "media-src 'self' blob: mediastream:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Camera, microphone and screen sharing: the page, and the video frame it delegates them to. */
export function pagePermissions(frames: VideoFrames): string {
  const allow = frames === "any-https" ? "*" : `(${["self", ...frameOrigins(frames).map((o) => `"${o}"`)].join(" ")})`;
  return ["camera", "microphone", "display-capture"].map((f) => `${f}=${allow}`).join(", ");
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
    const send = (reply: FastifyReply, page: string | null, frames: VideoFrames, connect: string[] = []) => {
      if (page === null) return reply.code(503).type("application/problem+json").send(problem(503, "INTERNAL", "the web app is not built: run npm run build:web"));
      return reply
        .header("content-security-policy", pageCsp(frames, connect))
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .header("permissions-policy", pagePermissions(frames))
        .type("text/html; charset=utf-8")
        .send(page);
    };
    const hide = { schema: { hide: true } };
    app.get<{ Querystring: { token?: string } }>("/join", hide, async (req, reply) => {
      const token = typeof req.query.token === "string" ? req.query.token : "";
      return send(reply, html("join.html"), { domains: token ? await options.domainsForJoinToken(token) : [] });
    });
    // The same page and headers for everyone: `?tenant=` (old links still carry it) changes nothing.
    app.get("/console", hide, async (_req, reply) => send(reply, html("console.html"), "any-https", oidcOrigin));
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
