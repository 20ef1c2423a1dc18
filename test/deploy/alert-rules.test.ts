import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { ensureKubectl, type Manifest } from "../support/kubernetes.js";

// Issue 20, item 14: alert rules shipped, each checked against what the service really exposes.
interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}
const plain = parse(readFileSync("deploy/prometheus/alerts.yml", "utf8")) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = plain.groups.flatMap((g) => g.rules);

/** PromQL words that are not metric names (functions, aggregations, keywords, the `le` label). */
const PROMQL = new Set(["sum", "min", "max", "avg", "count", "rate", "irate", "increase", "histogram_quantile", "by", "without", "and", "or", "unless", "on", "ignoring", "bool", "abs", "absent", "clamp_min", "clamp_max", "time", "offset"]);

/** The metric names an expression reads: label matchers, strings, ranges and groupings removed. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, "");
  return [...new Set([...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w)))];
}

describe("alert rules against the service's real /metrics (PostgreSQL)", () => {
  let app: TestApp;
  let exposition: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "alerts");
    await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken("alerts", ["scheduler"]), body: sessionBody() });
    exposition = (await app.request({ method: "GET", url: "/metrics" })).body;
  });
  afterAll(() => app?.close());

  /** Every series name /metrics can carry: each family, with a histogram's or summary's suffixes. */
  const exposed = () => {
    const names = new Set<string>();
    for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name!);
      if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
      if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
    }
    return names;
  };

  it("when each rule's expression is read, then every metric it names is one the service exposes", () => {
    const known = exposed();
    expect(known.has("http_request_duration_seconds_bucket")).toBe(true);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      expect(names.filter((n) => !known.has(n)), `${rule.alert}: ${rule.expr}`).toEqual([]);
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.for).toMatch(/^\d+m$/);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
    }
  });

  it("when a name is misspelt, then the check finds it (the check can fail)", () => {
    expect(metricNames('sum(rate(http_requests_total{code=~"5.."}[5m])) by (route)')).toEqual(["http_requests_total"]);
    expect(exposed().has("http_requests_total")).toBe(false);
  });

  it("when request latency is read, then its buckets reach past the request bound (answers of 12–20 s were measured)", () => {
    const bounds = [...exposition.matchAll(/^http_request_duration_seconds_bucket\{le="([^"]+)"/gm)].map((m) => m[1]);
    expect(bounds).toEqual(expect.arrayContaining(["2.5", "5", "10", "20", "30", "+Inf"]));
  });
});

describe("monitoring manifests (rendered by kubectl kustomize, offline)", () => {
  let base: Manifest[];
  let monitoring: Manifest[];

  beforeAll(() => {
    const kubectl = ensureKubectl();
    const render = (dir: string) => parseAllDocuments(execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8" })).map((d) => d.toJSON() as Manifest);
    base = render("deploy/k8s");
    monitoring = render("deploy/k8s/monitoring");
  }, 180_000);

  it("when the PrometheusRule is read, then it holds exactly the plain rules file's groups", () => {
    const rule = monitoring.find((d) => d.kind === "PrometheusRule")!;
    expect(rule.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule.metadata.namespace).toBe("virtual-care");
    expect(rule.spec).toEqual(plain);
  });

  it("when scraping is read, then the PodMonitor sends METRICS_TOKEN from the service's Secret, and the settings trust the ingress as one proxy", () => {
    const secret = base.find((d) => d.kind === "Secret")!;
    const config = base.find((d) => d.kind === "ConfigMap")!;
    const deployment = base.find((d) => d.kind === "Deployment")!;
    expect(Object.keys(secret.stringData)).toContain("METRICS_TOKEN");
    expect(config.data.TRUST_PROXY).toBe("1");
    const monitor = monitoring.find((d) => d.kind === "PodMonitor")!;
    expect(monitor.metadata.namespace).toBe("virtual-care");
    expect(monitor.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    expect(endpoint).toMatchObject({ port: "http", path: "/metrics" });
    expect(deployment.spec.template.spec.containers[0].ports[0].name).toBe(endpoint.port);
    expect(endpoint.authorization).toEqual({ type: "Bearer", credentials: { name: secret.metadata.name, key: "METRICS_TOKEN" } });
  });
});
