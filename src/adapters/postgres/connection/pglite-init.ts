/**
 * Creates an embedded PGlite database folder and exits: `node pglite-init.js <folder>`.
 *
 * PGlite's initdb (the first start of the embedded quick start) grows its WebAssembly heap to
 * ~800 MB, and a process keeps that memory for its whole life (WASM memory only grows). Run here,
 * in a process of its own that ends once the folder exists, it never counts against the service:
 * the service opens the finished folder and stays at a fraction of that (BENCHMARKS.md).
 *
 * The first initdb also leaves a template (the new, empty folder as a gzipped tar) in
 * node_modules/.cache, keyed by PGlite's version: later folders are unpacked from it, which peaks
 * at ~330 MB instead of ~850 MB and takes about half the time (every PGlite test suite makes one).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: pglite-init <folder>");
  process.exit(2);
}

/** node_modules/.cache/virtual-care-service/pglite-<version>-empty.tar.gz, or null when PGlite's folder cannot be found. */
function templateFile(): string | null {
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite") return join(dir, "..", "..", ".cache", "virtual-care-service", `pglite-${pkg.version}-empty.tar.gz`);
    } catch {
      // not the package's folder yet
    }
  }
  return null;
}

const template = templateFile();
let templateData: Buffer | null = null;
try {
  templateData = template ? readFileSync(template) : null;
} catch {
  // No template yet: this start runs initdb and leaves one.
}

if (templateData) {
  const db = new PGlite(folder, { loadDataDir: new Blob([new Uint8Array(templateData)]) });
  await db.waitReady;
  await db.close();
} else {
  const db = new PGlite(folder);
  await db.waitReady;
  if (template) {
    try {
      const dump = Buffer.from(await (await db.dumpDataDir("gzip")).arrayBuffer());
      mkdirSync(dirname(template), { recursive: true });
      // Whole or not at all: a start killed half-way leaves no broken template.
      writeFileSync(`${template}.${process.pid}.tmp`, dump);
      renameSync(`${template}.${process.pid}.tmp`, template);
    } catch {
      // A read-only node_modules: every new folder runs initdb.
    }
  }
  await db.close();
}
