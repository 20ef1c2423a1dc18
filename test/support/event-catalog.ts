import { readFileSync } from "node:fs";
import { Parser, type Diagnostic } from "@asyncapi/parser";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/**
 * docs/asyncapi.yaml as the AsyncAPI tooling reads it (@asyncapi/parser: schema, references,
 * its own rules), and each channel's message payload compiled for checking events from the wire.
 * Parsed once per test process.
 */
export interface EventCatalog {
  diagnostics: Diagnostic[];
  /** Channel addresses of the operations with this action, e.g. `audit.virtualcare.{action}`. */
  addresses(action: "send" | "receive"): string[];
  /** What is wrong with one CloudEvent on `subject`, by the catalog; [] when it validates. */
  errors(subject: string, event: unknown): string[];
  /** The resolved payload schema of the channel carrying `subject`. */
  payload(subject: string): unknown;
}

/** Every JSON type (null aside) any property called `name` has anywhere in a schema. */
export function typesOfProperty(schema: unknown, name: string): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const props = (node as { properties?: Record<string, unknown> }).properties;
    const hit = props?.[name] as { type?: string | string[]; anyOf?: unknown[] } | undefined;
    if (hit) {
      for (const branch of [hit, ...(hit.anyOf ?? [])] as Array<{ type?: string | string[] }>) {
        for (const t of ([] as string[]).concat(branch.type ?? [])) if (t !== "null") found.add(t);
      }
    }
    Object.values(node).forEach(walk);
  };
  walk(schema);
  return [...found].sort();
}

let loading: Promise<EventCatalog> | undefined;
export const loadEventCatalog = (): Promise<EventCatalog> => (loading ??= load());

async function load(): Promise<EventCatalog> {
  const { document, diagnostics } = await new Parser().parse(readFileSync("docs/asyncapi.yaml", "utf8"));
  if (!document) throw new Error(`docs/asyncapi.yaml does not parse: ${diagnostics.map((d) => d.message).join("; ")}`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const channels = document.channels().all().map((channel) => {
    const messages = channel.messages().all();
    if (messages.length !== 1) throw new Error(`channel ${channel.address()} should carry exactly one message`);
    const address = channel.address() ?? "";
    // `{action}` in an address is a parameter: one subject segment or more.
    const pattern = new RegExp(`^${address.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")).join("[A-Za-z0-9_.-]+")}$`);
    const schema = messages[0]!.payload()!.json() as object;
    return { address, pattern, schema, validate: ajv.compile(schema) as ValidateFunction };
  });
  return {
    diagnostics,
    addresses: (action) =>
      document
        .operations()
        .all()
        .filter((o) => o.action() === action)
        .flatMap((o) => o.channels().all().map((c) => c.address() ?? "")),
    errors: (subject, event) => {
      const channel = channels.find((c) => c.pattern.test(subject));
      if (!channel) return [`no channel in docs/asyncapi.yaml carries ${subject}`];
      return channel.validate(event) ? [] : (channel.validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
    },
    payload: (subject) => channels.find((c) => c.pattern.test(subject))?.schema,
  };
}
