import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";

const PREFIX = "/docs";

/**
 * GET /docs (the Scalar API reference), loaded on its first request. Importing
 * `@scalar/fastify-api-reference` costs about 33 MB of RSS (its UI bundle is one 4 MB source
 * string, plus its parsers), which every replica would carry for a page that operators open now
 * and then (BENCHMARKS.md). So the routes here are placeholders that, on first use, build a small
 * Fastify instance with the real plugin and answer through `inject`: the pages, redirects and
 * headers stay exactly Scalar's.
 */
export function lazyDocs(openApiUrl: string): FastifyPluginAsync {
  return async (app) => {
    let docs: Promise<FastifyInstance> | undefined;
    const load = async (): Promise<FastifyInstance> => {
      const [{ default: Fastify }, { default: scalar }] = await Promise.all([import("fastify"), import("@scalar/fastify-api-reference")]);
      const inner = Fastify({ logger: false });
      await inner.register(scalar, { routePrefix: PREFIX, configuration: { url: openApiUrl } });
      await inner.ready();
      return inner;
    };
    app.addHook("onClose", async () => {
      if (docs) await (await docs.catch(() => null))?.close();
    });

    const forward = async (req: FastifyRequest, reply: FastifyReply) => {
      // A failed load is not remembered: the next request tries again.
      docs ??= load().catch((err: unknown) => {
        docs = undefined;
        throw err;
      });
      const res = await (await docs).inject({ method: "GET", url: req.url, headers: { host: req.headers.host ?? "localhost" } });
      for (const name of ["content-type", "location", "content-disposition"]) {
        const value = res.headers[name];
        if (value !== undefined) reply.header(name, value);
      }
      return reply.code(res.statusCode).send(res.rawPayload);
    };
    for (const url of [PREFIX, `${PREFIX}/*`]) app.get(url, { schema: { hide: true } }, forward);
  };
}
