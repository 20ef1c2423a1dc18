import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { parse } from "yaml";
import { DomainError } from "../domain/errors.js";
import { problems } from "./openapi/responses.js";

type Json = Record<string, unknown>;

export interface EventCatalogOptions {
  /** docs/asyncapi.yaml: the event catalog, served as it is written. */
  asyncApiFile: string;
  /** PUBLIC_BASE_URL: the `$id` of each served schema (the URL events name as `dataschema`). */
  publicBaseUrl: string;
}

/**
 * What an event consumer reads: the AsyncAPI document (GET /asyncapi.yaml) and, for each event
 * type, the JSON Schema of its `data` (GET /schemas/events/{type}), which every published
 * CloudEvent names as its `dataschema`. Both come from docs/asyncapi.yaml, read on first use: the
 * schemas are its message payloads' `data`, with the components they refer to written in.
 */
export function eventCatalogRoutes(options: EventCatalogOptions) {
  let loading: Promise<{ text: string; schemas: Array<{ pattern: RegExp; schema: Json }> }> | undefined;
  const load = () =>
    (loading ??= readFile(options.asyncApiFile, "utf8")
      .then((text) => ({ text, schemas: dataSchemas(parse(text) as Json) }))
      .catch((err: unknown) => {
        loading = undefined;
        throw err;
      }));
  const base = options.publicBaseUrl.replace(/\/+$/, "");

  return async (app: FastifyInstance) => {
    app.get(
      "/asyncapi.yaml",
      {
        schema: {
          tags: ["operations"],
          security: [],
          operationId: "getAsyncApiDocument",
          summary: "The AsyncAPI 3.0 document of the events this service publishes and consumes",
          description: "CloudEvents on NATS JetStream: channels, payloads, the audit trail's actions. Each published event's `dataschema` is served by GET /schemas/events/{type}.",
          response: {
            200: {
              description: "The AsyncAPI document (YAML)",
              content: { "application/yaml": { schema: { type: "string" }, example: "asyncapi: 3.0.0\ninfo:\n  title: Virtual Care Service events\n" } },
            },
          },
        },
      },
      async (_req, reply) => reply.type("application/yaml; charset=utf-8").send((await load()).text),
    );
    app.get<{ Params: { type: string } }>(
      "/schemas/events/:type",
      {
        schema: {
          tags: ["operations"],
          security: [],
          operationId: "getEventDataSchema",
          summary: "The JSON Schema of an event type's data (a CloudEvent's `dataschema`)",
          description: "For every type the service publishes, `audit.virtualcare.<action>` included. Unknown types answer 404.",
          params: {
            type: "object",
            properties: { type: { type: "string", maxLength: 128, pattern: "^[a-z0-9_.]+$", examples: ["virtualcare.session.created.v1"] } },
            required: ["type"],
          },
          response: {
            200: {
              description: "A JSON Schema (2020-12)",
              content: {
                "application/schema+json": {
                  schema: { type: "object", additionalProperties: true },
                  example: { $schema: "https://json-schema.org/draft/2020-12/schema", title: "virtualcare.session.ended.v1 data", type: "object" },
                },
              },
            },
            ...problems("NOT_FOUND"),
          },
        },
      },
      async (req, reply) => {
        const type = req.params.type;
        const found = (await load()).schemas.find((s) => s.pattern.test(type));
        if (!found) throw new DomainError("NOT_FOUND", "no event of this type is published");
        const schema = {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          $id: `${base}/schemas/events/${encodeURIComponent(type)}`,
          title: `${type} data`,
          ...found.schema,
        };
        return reply.type("application/schema+json").send(JSON.stringify(schema));
      },
    );
  };
}

/** Each published channel's address (a pattern: `{action}` is one or more segments) and its payload's `data` schema. */
function dataSchemas(doc: Json): Array<{ pattern: RegExp; schema: Json }> {
  const at = (ref: string): Json => ref.replace(/^#\//, "").split("/").reduce<Json>((node, key) => node[key] as Json, doc);
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (!node || typeof node !== "object") return node;
    const ref = (node as Json).$ref;
    if (typeof ref === "string") return inline(at(ref));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]));
  };
  const operations = Object.values(doc.operations as Record<string, Json>).filter((o) => o.action === "send");
  return operations.flatMap((operation) => {
    const channel = inline(operation.channel) as Json;
    const address = String(channel.address);
    const message = Object.values(channel.messages as Record<string, Json>)[0]!;
    const parts = ((message.payload as Json).allOf as Json[] | undefined) ?? [message.payload as Json];
    // The last part naming `data` is the message's own (the envelope's is any object).
    const data = parts.map((p) => (p.properties as Json | undefined)?.data as Json | undefined).filter((d) => d !== undefined).pop();
    if (!data) return [];
    const pattern = new RegExp(`^${address.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")).join("[a-z0-9_.]+")}$`);
    return [{ pattern, schema: data }];
  });
}
