import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/adapters/postgres/connection/database.js";

/**
 * A PGlite folder as the service's first start makes it, made once and copied into each suite's
 * data folder. The service makes a new folder in a child process (pglite-init.ts: initdb, or
 * unpacking the empty folder it keeps in node_modules/.cache/virtual-care-service), about 2 s of
 * CPU per folder even from its template (5 s and ~900 MB for initdb); a copy is a file copy. Kept
 * under node_modules/.cache/vcs-test-pglite, per PGlite version (the folder depends on nothing
 * else), so later runs copy it too. Suites still migrate their copy. The service's own first start
 * on an empty folder stays covered where it is the point: test/http/quick-start.test.ts starts on
 * an empty DATA_DIR, and this seed is made by that same path (openDatabase on an empty folder).
 */
const version = (JSON.parse(readFileSync(join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")) as { version: string }).version;
const cacheRoot = join(process.cwd(), "node_modules", ".cache", "vcs-test-pglite");
const seed = join(cacheRoot, version);

let made: Promise<void> | undefined;

async function makeSeed(): Promise<void> {
  if (existsSync(join(seed, "pglite"))) return;
  mkdirSync(cacheRoot, { recursive: true });
  const building = mkdtempSync(join(cacheRoot, `${version}.building-`));
  try {
    // The service's own path makes the folder (openDatabase runs initdb when it is missing).
    const db = await openDatabase({ dataDir: building, migrate: false });
    await db.close();
    try {
      // Whole or not at all; another worker may have put its own in place first (then keep that one).
      renameSync(building, seed);
    } catch (err) {
      if (!existsSync(join(seed, "pglite"))) throw err;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** Puts a freshly initialised, empty PGlite database into `dataDir` (as `dataDir/pglite`, where the service looks). */
export async function seedPglite(dataDir: string): Promise<void> {
  await (made ??= makeSeed().finally(() => (made = undefined)));
  cpSync(join(seed, "pglite"), join(dataDir, "pglite"), { recursive: true });
}
