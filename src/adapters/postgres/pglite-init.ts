/**
 * Creates an embedded PGlite database folder and exits: `node pglite-init.js <folder>`.
 *
 * PGlite's initdb (the first start of the embedded quick start) grows its WebAssembly heap to
 * ~800 MB, and a process keeps that memory for its whole life (WASM memory only grows). Run here,
 * in a process of its own that ends once the folder exists, it never counts against the service:
 * the service opens the finished folder and stays at a fraction of that (BENCHMARKS.md).
 */
import { PGlite } from "@electric-sql/pglite";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: pglite-init <folder>");
  process.exit(2);
}
const db = new PGlite(folder);
await db.waitReady;
await db.close();
