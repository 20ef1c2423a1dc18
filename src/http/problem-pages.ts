import type { FastifyInstance } from "fastify";
import { DomainError } from "../domain/errors.js";
import { codeBySlug, ERROR_CODES, PROBLEM_CATALOG, problemTypeUri } from "./problem-catalog.js";
import { statusByCode } from "./problem.js";

/**
 * The pages a problem's `type` points at (`/problems/{code in kebab case}`): what the code means
 * and what to do, for the people who meet it. HTML for people like /docs, so not in the OpenAPI
 * document; the document lists the same codes with the same words (its introduction and each
 * response's `code` enum).
 */
export async function problemPages(app: FastifyInstance): Promise<void> {
  app.get("/problems", { schema: { hide: true } }, async (_req, reply) => {
    const rows = ERROR_CODES.map(
      (c) => `<tr><td><a href="${problemTypeUri(c)}"><code>${c}</code></a></td><td>${statusByCode[c]}</td><td>${escape(PROBLEM_CATALOG[c].title)}</td></tr>`,
    ).join("\n");
    return reply.type("text/html; charset=utf-8").send(page("Problem types", `<table><tr><th>code</th><th>status</th><th>title</th></tr>\n${rows}</table>`));
  });
  app.get<{ Params: { slug: string } }>("/problems/:slug", { schema: { hide: true } }, async (req, reply) => {
    const code = codeBySlug.get(req.params.slug);
    if (!code) throw new DomainError("NOT_FOUND", "no such problem type");
    const kind = PROBLEM_CATALOG[code];
    const extensions = Object.keys(kind.exampleExtensions ?? {});
    const body = [
      `<p><code>code</code>: <code>${code}</code> · status ${statusByCode[code]} · <code>type</code>: <code>${problemTypeUri(code)}</code></p>`,
      `<p>${prose(kind.description)}</p>`,
      extensions.length > 0 ? `<p>Extension members: ${extensions.map((e) => `<code>${e}</code>`).join(", ")}.</p>` : "",
      `<p><a href="/problems">Every problem type</a> · <a href="/docs">API reference</a></p>`,
    ].join("\n");
    return reply.type("text/html; charset=utf-8").send(page(kind.title, body));
  });
}

const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} – Virtual Care Service</title></head>\n<body><h1>${escape(title)}</h1>\n${body}\n</body></html>\n`;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The catalog's `code` spans (backticks) as <code>. */
const prose = (text: string) => escape(text).replace(/`([^`]+)`/g, "<code>$1</code>");
