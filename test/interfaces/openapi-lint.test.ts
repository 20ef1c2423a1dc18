import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, staffToken, type TestApp } from "../support/app.js";
import { redoclyLint, spectralLint, type Finding } from "../support/openapi-lint.js";

type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, unknown> }> };
type OpenApi = { servers?: Array<{ url: string }>; paths: Record<string, Record<string, Operation>> };

/**
 * The generated GET /openapi.json, judged by the tools client teams run: Redocly's recommended
 * rules and Spectral (spectral:oas + OWASP, switch-offs in .spectral.mjs). Errors fail the build;
 * warnings are printed so they stay visible.
 */
describe("OpenAPI document (GET /openapi.json) against Redocly and Spectral", () => {
  let app: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    app = await bootApp();
    const res = await app.request({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(() => app?.close());

  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const report = (tool: string, findings: Finding[]) => {
    const warnings = findings.filter((f) => f.severity === "warn");
    if (warnings.length > 0) console.info(`${tool}: ${warnings.length} warnings\n${warnings.map((w) => `  ${w.rule} ${w.where}`).join("\n")}`);
    return findings.filter((f) => f.severity === "error");
  };

  it("when Redocly lints it with the recommended rules, then there are no errors", async () => {
    expect(report("redocly", await redoclyLint(doc))).toEqual([]);
  });

  it("when Spectral lints it with spectral:oas and the OWASP ruleset, then there are no errors", async () => {
    expect(report("spectral", await spectralLint(doc))).toEqual([]);
  });

  it("when a generator reads it, then every operation has a unique operationId and the document names its server", () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })]);
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json"]) expect(Object.keys(doc.paths)).toContain(path);
  });

  it("when it documents an error, then the media type is application/problem+json, as the service sends it", async () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
      }
    }
    const res = await app.request({ method: "GET", url: "/v1/sessions" });
    expect(res.statusCode).toBe(401);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("when an attachment is downloaded, then the document describes the 200 file answer the route gives", () => {
    const download = doc.paths["/v1/async-visits/{id}/attachments/{attachmentId}"]!.get!;
    expect(Object.keys(download.responses["200"]!.content ?? {}).sort()).toEqual(["application/pdf", "image/jpeg", "image/png"]);
  });

  it("when PUT /v1/tenant-config names a tenant id longer than documented, then 400 before anything else", async () => {
    const token = await staffToken("clinic-oas", ["admin"]);
    await configureTenant(app, "clinic-oas");
    const current = (await app.request({ method: "GET", url: "/v1/tenant-config", token })).json();
    const res = await app.request({ method: "PUT", url: "/v1/tenant-config", token, body: { ...current, tenantId: "t".repeat(129) } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: "/tenantId" })]);
  });
});
