import { beforeAll, describe, expect, it } from "vitest";
import { servedOpenApi } from "../support/api-client-types.js";
import { scanWebSources, webSources, type WebScan } from "../support/web-client-scan.js";

type Doc = { paths: Record<string, Record<string, unknown>> };

/**
 * The web app's calls, read from its source: every one goes through the typed client with a path
 * and method the served OpenAPI document has, nothing builds an API URL by hand, and no wire type
 * is declared by hand (they come from the client package's generated types, clients/typescript/src/generated,
 * which typed-client.test.ts keeps current).
 * The web type check proves the calls' arguments and answers; this proves nothing slips past it.
 */
describe("the web app calls the API only through the document's types", () => {
  let doc: Doc;
  let scan: WebScan;
  beforeAll(async () => {
    doc = (await servedOpenApi()) as Doc;
    scan = scanWebSources(webSources("web/src"), doc);
  });

  it("when the web app's calls are listed, then each names a path and method the served document has", () => {
    // The join page and the console together make well over twenty calls: a scan that finds few is broken.
    expect(scan.calls.length).toBeGreaterThan(20);
    const undocumented = scan.calls.filter((c) => !doc.paths[c.path]?.[c.method.toLowerCase()]);
    expect(undocumented).toEqual([]);
    expect(scan.typePaths.filter((c) => !doc.paths[c.path])).toEqual([]);
  });

  it("when the source is read, then no call builds an API URL by hand (fetch and XHR take apiUrl())", () => {
    expect(scan.untyped).toEqual([]);
    expect(scan.strayPaths).toEqual([]);
  });

  it("when the source is read, then no interface or object type repeats the fields of an object the document describes", () => {
    // The device check's outcome, not a body: its kbps is null when nothing could be measured.
    const notWire = new Set(["join/precall.tsx PreCallChoice"]);
    expect(scan.wireTypes.filter((w) => !notWire.has(w.replace(/:\d+ (\S+) .*/, " $1")))).toEqual([]);
  });

  it("when a call, a URL or a wire type is written by hand, then the scan reports it", () => {
    const bad = scanWebSources(
      [
        {
          file: "join/bad.tsx",
          text: [
            "interface Visit { id: string; status: string; patientId: string }",
            'api(cred, "GET", `/v1/sessions/${id}`);',
            'api(cred, "POST", "/v1/sessions/{id}/teleport");',
            'fetch("/v1/join/status");',
            'xhr.open("POST", "/v1/async-visits");',
          ].join("\n"),
        },
      ],
      doc,
    );
    expect(bad.wireTypes).toEqual([expect.stringContaining("Visit")]);
    expect(bad.untyped).toHaveLength(3);
    expect(bad.strayPaths).toHaveLength(3);
    expect(bad.calls.filter((c) => !doc.paths[c.path]?.[c.method.toLowerCase()])).toEqual([
      { at: "join/bad.tsx:3", method: "POST", path: "/v1/sessions/{id}/teleport" },
    ]);
  });
});
