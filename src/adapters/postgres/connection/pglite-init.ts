/**
 * Creates an embedded PGlite database folder and exits: `node pglite-init.js <folder>`.
 *
 * PGlite's initdb (the first start of the embedded quick start) grows its WebAssembly heap to
 * ~800 MB, and a process keeps that memory for its whole life (WASM memory only grows). Run here,
 * in a process of its own that ends once the folder exists, it never counts against the service:
 * the service opens the finished folder and stays at a fraction of that (BENCHMARKS.md).
 *
 * It also copies the new, closed folder into the template (pglite-folder.ts), so later folders on
 * this install are file copies made without PostgreSQL (every PGlite test suite makes one).
 */
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pgliteTemplateFolder } from "./pglite-folder.js";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: pglite-init <folder>");
  process.exit(2);
}

const db = new PGlite(folder);
await db.waitReady;
// A cleanly shut down folder is what a copy may start from.
await db.close();

const template = pgliteTemplateFolder();
if (template) {
  let building: string | undefined;
  try {
    mkdirSync(dirname(template), { recursive: true });
    // A name no other process can share (pids repeat across containers sharing node_modules).
    building = mkdtempSync(`${template}.tmp-`);
    cpSync(folder, building, { recursive: true });
    // Whole or not at all; when another process put its template in place first, keep that one.
    renameSync(building, template);
  } catch {
    // A read-only node_modules, or a template already there: nothing to keep.
  } finally {
    if (building) rmSync(building, { recursive: true, force: true });
  }
}
