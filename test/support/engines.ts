import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { createTestDatabase } from "./postgres.js";

/** Both database engines the service runs on: a fresh PostgreSQL database, or PGlite in a temp dir. */
export const engines: Array<{ name: string; open: () => Promise<{ db: Database; cleanup: () => Promise<void> }> }> = [
  {
    name: "PostgreSQL",
    open: async () => {
      const tdb = await createTestDatabase();
      const db = await openDatabase({ databaseUrl: tdb.url, dataDir: "/nonexistent", migrate: true });
      return { db, cleanup: async () => { await db.close(); await tdb.drop(); } };
    },
  },
  {
    name: "PGlite",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "vcs-pglite-"));
      const db = await openDatabase({ dataDir: dir, migrate: true });
      return { db, cleanup: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
];
