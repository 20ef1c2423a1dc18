import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { DEMO_VIDEO_APP_ID } from "../../src/dev/demo.js";
import { ensureKubectl, schemaErrors, unknownFieldErrors, type Manifest } from "../support/kubernetes.js";

/** Every variable the service reads (src/config.ts): a setting spelt otherwise is silently ignored. */
const configNames = new Set([...readFileSync("src/config.ts", "utf8").matchAll(/env(?:\.|, ")([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

describe("Kubernetes manifests (deploy/k8s rendered by kubectl kustomize, checked against the Kubernetes schemas)", () => {
  let docs: Manifest[];
  const one = (kind: string) => {
    const found = docs.filter((d) => d.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(() => {
    const kubectl = ensureKubectl();
    const rendered = execFileSync(kubectl, ["kustomize", "deploy/k8s"], { encoding: "utf8" });
    docs = parseAllDocuments(rendered).map((d) => d.toJSON() as Manifest);
  }, 180_000);

  it("when rendered, then it holds each object once, and every object is valid against its schema with no unknown field", async () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service"].sort(),
    );
    expect(await schemaErrors(docs)).toEqual([]);
    expect(unknownFieldErrors(docs)).toEqual([]);
    expect(new Set(docs.map((d) => d.metadata.namespace))).toEqual(new Set(["virtual-care"]));
  }, 60_000);

  it("when the settings are read, then every name is one the service knows, and the Deployment leaves migrations to the Job", () => {
    const config = one("ConfigMap");
    const secret = one("Secret");
    const names = [...Object.keys(config.data), ...Object.keys(secret.stringData)];
    expect(names.filter((n) => !configNames.has(n))).toEqual([]);
    expect(config.data.MIGRATE_ON_START).toBe("false");
    for (const workload of [one("Deployment"), one("Job")]) {
      const container = workload.spec.template.spec.containers[0];
      expect(container.envFrom).toEqual([{ configMapRef: { name: config.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
    }
  });

  it("when the Deployment is read, then its probes, grace period and preStop fit the service's own bounds", () => {
    const settings = one("ConfigMap").data as Record<string, string>;
    const deployment = one("Deployment");
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns the count
    expect(container.ports).toEqual([{ name: "http", containerPort: Number(settings.PORT) }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    // /readyz answers within READINESS_TIMEOUT_MS, so the probe must wait longer than that.
    expect(container.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(Number(settings.READINESS_TIMEOUT_MS));
    // A pod leaves the Service only after misses spanning longer than a request may take (plus the
    // probe's own bound), so one slow spell on a loaded database does not take every pod out at
    // once (issue 20, item 10).
    const readinessWindowMs = container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold * 1000;
    expect(readinessWindowMs).toBeGreaterThan(Number(settings.HTTP_REQUEST_TIMEOUT_MS) + Number(settings.READINESS_TIMEOUT_MS));
    // The process listens only after the database answered: start-up may take DB_STARTUP_TIMEOUT_MS.
    const startupMs = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold * 1000;
    expect(startupMs).toBeGreaterThan(Number(settings.DB_STARTUP_TIMEOUT_MS));
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    expect(container.lifecycle.preStop.exec.command[0]).toBe("sleep");
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + Number(settings.HTTP_REQUEST_TIMEOUT_MS) / 1000);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it("when selectors are read, then Service, PodDisruptionBudget, NetworkPolicy and HPA reach the Deployment's pods and the Job's pod is not served", () => {
    const deployment = one("Deployment");
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const service = one("Service");
    expect(matches(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports[0].targetPort).toBe("http");
    expect(matches(one("PodDisruptionBudget").spec.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(one("NetworkPolicy").spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(deployment.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "virtual-care-service" });
    expect(one("HorizontalPodAutoscaler").spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    const job = one("Job");
    expect(matches(service.spec.selector, job.spec.template.metadata.labels)).toBe(false);
    // The Job runs the same image as the Deployment, and its command exists in the build.
    expect(job.spec.template.spec.containers[0].image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(job.spec.template.spec.containers[0].command).toEqual(["node", "dist/migrate.js"]);
    expect(existsSync("src/migrate.ts")).toBe(true);
  });
});

describe("the production overlay of docs/operations.md", () => {
  it("when rendered over the base, then it sets the registry image on Deployment and Job, merges the settings and leaves no placeholder Secret", () => {
    const kubectl = ensureKubectl();
    const overlay = /```yaml\n# overlays\/production\/kustomization.yaml\n([\s\S]*?)```/.exec(readFileSync("docs/operations.md", "utf8"))![1]!;
    const root = mkdtempSync(join(tmpdir(), "vcs-overlay-"));
    try {
      cpSync("deploy", join(root, "deploy"), { recursive: true });
      mkdirSync(join(root, "overlays/production"), { recursive: true });
      writeFileSync(join(root, "overlays/production/kustomization.yaml"), overlay);
      const docs = parseAllDocuments(execFileSync(kubectl, ["kustomize", join(root, "overlays/production")], { encoding: "utf8" })).map((d) => d.toJSON() as Manifest);
      expect(docs.filter((d) => d.kind === "Secret")).toEqual([]);
      const images = docs.filter((d) => d.kind === "Deployment" || d.kind === "Job").map((d) => d.spec.template.spec.containers[0].image);
      expect(images).toEqual(["registry.example.com/virtual-care-service:1.4.0", "registry.example.com/virtual-care-service:1.4.0"]);
      const config = docs.find((d) => d.kind === "ConfigMap")!;
      expect(config.data).toMatchObject({ FHIR_BASE_URL: "https://fhir.internal.example.org/fhir", MIGRATE_ON_START: "false" });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("container files (Dockerfile and compose.yaml, read as text: no Docker engine here)", () => {
  it("when the Dockerfile is read, then it builds on Node 24 slim in stages, installs production dependencies only, runs as a non-root user with the throughput flags, and checks /healthz", () => {
    const dockerfile = readFileSync("Dockerfile", "utf8");
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-[a-z]+-slim$/m);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    // The bench's PostgreSQL runs read their node flags from this CMD (bench/service.ts): keep its shape.
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd[0]).toBe("node");
    expect(cmd.at(-1)).toBe("dist/main.js");
    expect(cmd).toContain("--heap-growing-percent=100");
  });

  it("when the Dockerfile is read, then the image builds the patient page and the console and puts them where the service serves them from", () => {
    const dockerfile = readFileSync("Dockerfile", "utf8");
    const ignore = readFileSync(".dockerignore", "utf8").split("\n");
    expect(dockerfile).toMatch(/^RUN node scripts\/build-web\.mjs$/m);
    expect(ignore).toEqual(expect.arrayContaining(["!web/", "!scripts/build-web.mjs"]));
    // dist/composition/http-app.js reads ../../web/dist: /app/web/dist beside /app/dist.
    expect(readFileSync("src/composition/http-app.ts", "utf8")).toContain('new URL("../../web/dist", import.meta.url)');
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/web\/dist \.\/web\/dist$/m);
  });

  it("when compose.yaml is read, then it runs PostgreSQL, NATS with JetStream on file storage and the service, with settings the service knows", () => {
    const compose = parse(readFileSync("compose.yaml", "utf8"));
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["postgres", "nats", "service"]));
    expect(compose.services.nats.command).toEqual(expect.arrayContaining(["-js", "-sd"]));
    expect(compose.services.nats.volumes[0]).toMatch(/:\/data$/);
    const env = Object.keys(compose.services.service.environment);
    expect(env.filter((n) => !configNames.has(n))).toEqual([]);
    expect(compose.services.service.depends_on.postgres.condition).toBe("service_healthy");
    expect(compose.services.service.depends_on.nats.condition).toBe("service_healthy");
  });

  it("when compose.yaml is read, then every image has a pinned tag, and the profile jitsi runs docker-jitsi-meet with JWT auth for the demo tenant's app id and the audience the service signs", () => {
    // merge: the Jitsi services share their settings through YAML anchors (`<<`).
    const compose = parse(readFileSync("compose.yaml", "utf8"), { merge: true });
    for (const [name, svc] of Object.entries<{ image?: string }>(compose.services)) {
      if (name === "service") continue; // built here (virtual-care-service:local)
      expect(svc.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(svc.image, name).not.toMatch(/:(latest|stable|unstable)$/);
    }
    const jitsi = Object.entries<any>(compose.services).filter(([, svc]) => svc.profiles?.includes("jitsi"));
    const images = jitsi.map(([, svc]) => String(svc.image));
    expect(images.map((i) => i.split(":")[0]).sort()).toEqual(["jitsi/jicofo", "jitsi/jvb", "jitsi/prosody", "jitsi/web"]);
    // One release for all four: docker-jitsi-meet's components only work with their own release.
    expect(new Set(images.map((i) => i.split(":")[1])).size).toBe(1);
    expect(images[0]).toMatch(/:stable-\d+(-\d+)?$/);
    // Nothing outside the profile: the default `docker compose up` starts no Jitsi.
    expect(compose.services.service.profiles).toBeUndefined();
    for (const [name, svc] of jitsi) {
      expect(svc.environment, name).toMatchObject({ ENABLE_AUTH: "1", AUTH_TYPE: "jwt", JWT_APP_ID: DEMO_VIDEO_APP_ID, JWT_ACCEPTED_AUDIENCES: "jitsi" });
      expect(svc.environment.JWT_APP_SECRET, name).toBe("${JITSI_JWT_APP_SECRET:-}");
    }
    // Prosody checks the tokens: it refuses to start with a short or empty shared secret.
    const prosody = jitsi.find(([, svc]) => String(svc.image).startsWith("jitsi/prosody:"))![1];
    expect(prosody.entrypoint.join(" ")).toMatch(/\$\$\{#JWT_APP_SECRET\} -ge 32 .*exec \/init$/);
    expect(prosody.networks["meet.jitsi"].aliases).toContain(prosody.environment.XMPP_SERVER);
  });
});
