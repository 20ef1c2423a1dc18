import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, type TestApp } from "../support/app.js";

/** The dashboard operators import must chart series the service really exposes on /metrics. */
describe("the Grafana dashboard (deploy/grafana)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp();
  });
  afterAll(() => app.close());

  it("when its queries are read, then every metric they name is on /metrics", async () => {
    const dashboard = JSON.parse(readFileSync("deploy/grafana/virtual-care-service.json", "utf8")) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exposed = (await app.request({ method: "GET", url: "/metrics" })).body;
    const families = new Set([...exposed.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const named = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1]!)));
    expect(named.length).toBeGreaterThan(10);
    // Histogram series carry _bucket/_count suffixes on the wire; the family is what /metrics declares.
    const missing = named.filter((n) => !families.has(n.replace(/_(bucket|count|sum)$/, "")));
    expect(missing).toEqual([]);
  });
});
