import { spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the empty PGlite folder is kept as a template: node_modules/.cache/virtual-care-service/
 * pglite-<version>-empty, keyed by PGlite's version (the folder depends on nothing else). Null when
 * PGlite's package folder cannot be found.
 */
export function pgliteTemplateFolder(): string | null {
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite") return join(dir, "..", "..", ".cache", "virtual-care-service", `pglite-${pkg.version}-empty`);
    } catch {
      // not the package's folder yet
    }
  }
  return null;
}

/**
 * Makes an empty PGlite database folder at `folder`. With a template (every start after the
 * first on this install) it is a plain file copy in this process: no PostgreSQL runs, so the
 * process's memory does not grow. Without one, initdb runs in a child process (pglite-init.ts
 * says why), which also leaves the template. Built beside the target and renamed into place, so
 * a start killed half-way leaves no half-made database behind.
 */
export async function createPgliteFolder(folder: string): Promise<void> {
  const building = `${folder}.initializing`;
  rmSync(building, { recursive: true, force: true });
  const template = pgliteTemplateFolder();
  if (template && existsSync(join(template, "PG_VERSION"))) {
    cpSync(template, building, { recursive: true });
  } else {
    await runInitdb(building);
  }
  renameSync(building, folder);
}

async function runInitdb(target: string): Promise<void> {
  const extension = extname(fileURLToPath(import.meta.url));
  const script = fileURLToPath(new URL(`./pglite-init${extension}`, import.meta.url));
  // From TypeScript sources (tests, `npm run dev`) the child needs tsx, a devDependency; built JS runs plainly.
  const loader = extension === ".ts" ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, script, target], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`creating the embedded database in ${target} failed (exit ${code}): ${stderr.trim()}`);
}
