import type { FastifyInstance } from "fastify";

/**
 * The tab icon browsers ask for on every page: a small SVG (a white camera on the pages' blue), so
 * `/favicon.ico` answers instead of a 404 (Lighthouse's best-practices audit counts it). Browsers
 * go by the content type, not the name.
 */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5394"/><rect x="5" y="10" width="15" height="12" rx="2" fill="#fff"/><path d="M21 14l6-4v12l-6-4z" fill="#fff"/></svg>`;

export async function favicon(app: FastifyInstance): Promise<void> {
  app.get("/favicon.ico", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("image/svg+xml").header("cache-control", "public, max-age=86400").send(ICON),
  );
}
