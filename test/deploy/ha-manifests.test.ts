import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { ensureKubectl, schemaErrors, unknownFieldErrors, type Manifest } from "../support/kubernetes.js";

/** Every variable the service reads (src/config.ts). */
const configNames = new Set([...readFileSync("src/config.ts", "utf8").matchAll(/env(?:\.|, ")([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

/**
 * deploy/k8s-ha (issue 22 item 3): the topology the failover suites tested, as manifests. The
 * CloudNativePG Cluster has no schema offline (it is a custom resource), so the fields that carry
 * the tested guarantees are checked one by one; the Kubernetes objects as in the base.
 */
describe("High-availability overlay (deploy/k8s-ha: CloudNativePG cluster, NATS Helm values)", () => {
  let docs: Manifest[];
  const one = (kind: string) => {
    const found = docs.filter((d) => d.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };
  const natsValues = parse(readFileSync("deploy/k8s-ha/nats-values.yaml", "utf8"));

  beforeAll(() => {
    const rendered = execFileSync(ensureKubectl(), ["kustomize", "deploy/k8s-ha"], { encoding: "utf8" });
    docs = parseAllDocuments(rendered).map((d) => d.toJSON() as Manifest);
  }, 180_000);

  it("when rendered, then the base's objects stay valid against their schemas and the PostgreSQL cluster joins them in the same namespace", async () => {
    const kube = docs.filter((d) => d.kind !== "Cluster");
    expect(await schemaErrors(kube)).toEqual([]);
    expect(unknownFieldErrors(kube)).toEqual([]);
    expect(one("Cluster").apiVersion).toBe("postgresql.cnpg.io/v1");
    expect(new Set(docs.map((d) => d.metadata.namespace))).toEqual(new Set(["virtual-care"]));
  }, 60_000);

  it("when the PostgreSQL cluster is read, then a commit waits for one standby, a lost standby refuses commits rather than risk them, and instances sit on different nodes", () => {
    const cluster = one("Cluster").spec;
    expect(cluster.instances).toBeGreaterThanOrEqual(3);
    expect(cluster.postgresql.synchronous).toEqual({ method: "any", number: 1, dataDurability: "required" });
    expect(cluster.affinity).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: "required", topologyKey: "kubernetes.io/hostname" });
  });

  it("when the service's settings are read, then it reaches PostgreSQL through the operator's read-write Service and NATS through every node, with streams at one replica per node", () => {
    const settings = one("ConfigMap").data as Record<string, string>;
    const secret = one("Secret").stringData as Record<string, string>;
    expect([...Object.keys(settings), ...Object.keys(secret)].filter((n) => !configNames.has(n))).toEqual([]);
    const cluster = one("Cluster");
    const db = new URL(secret.DATABASE_URL!);
    expect(db.hostname).toBe(`${cluster.metadata.name}-rw.${cluster.metadata.namespace}.svc.cluster.local`);

    const replicas = natsValues.config.cluster.replicas as number;
    expect(replicas).toBe(3);
    expect(natsValues.config.jetstream.enabled).toBe(true);
    expect(natsValues.config.jetstream.fileStore.pvc.enabled).toBe(true);
    const urls = settings.NATS_URL!.split(",");
    expect(urls).toEqual(Array.from({ length: replicas }, (_, i) => `nats://nats-${i}.nats-headless.nats.svc.cluster.local:4222`));
    expect(Number(settings.NATS_STREAM_REPLICAS)).toBe(replicas);
    // The rest of the base's settings are kept (merge, not replace).
    expect(settings.MIGRATE_ON_START).toBe("false");
  });
});
