import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeholders, StatementCache } from "../../src/adapters/postgres/connection/built-statement.js";
import type { Database } from "../../src/adapters/postgres/connection/database.js";
import { engines } from "../support/engines.js";
import { outbox } from "../../src/adapters/postgres/schema.js";

/**
 * built-statement.ts runs SQL text that drizzle built once through drizzle's internal
 * `session.prepareQuery`. A drizzle upgrade that renames or reshapes it must fail here, loudly,
 * not silently write wrong values on the create path.
 */

const row = (id: string, occurredAt: Date) => ({
  id,
  tenantId: "t-built",
  aggregateType: "audit",
  aggregateId: "a-1",
  type: "audit.virtualcare.test",
  data: { n: 1, nested: { ok: true } },
  occurredAt,
});

describe.each(engines)("built statements on $name", ({ open }) => {
  let database: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db: database, cleanup } = await open());
  });
  afterAll(() => cleanup());

  it("when drizzle is upgraded, then the internal prepareQuery this cache relies on is still there", () => {
    const session = (database.db as unknown as { session?: { prepareQuery?: unknown } }).session;
    expect(typeof session?.prepareQuery, "drizzle's db.session.prepareQuery is gone: built-statement.ts must be adapted").toBe("function");
  });

  it("when one statement text runs on the pool and then inside a transaction, then both rows are stored with their values encoded", async () => {
    const cache = new StatementCache();
    const build = (r: ReturnType<typeof row>) => (db: Database["db"]) => db.insert(outbox).values(placeholders(r)).onConflictDoNothing({ target: outbox.id });
    const first = row("00000000-0000-4000-8000-0000000000b1", new Date("2026-12-01T09:00:00.123Z"));
    const second = row("00000000-0000-4000-8000-0000000000b2", new Date("2026-12-02T10:30:00.456Z"));
    await cache.run(database.db, "vcs_test_built_insert", build(first), first);
    await database.db.transaction((tx) => cache.run(tx as unknown as Database["db"], "vcs_test_built_insert", build(second), second));
    for (const expected of [first, second]) {
      const [stored] = await database.db.select().from(outbox).where(eq(outbox.id, expected.id));
      expect(stored?.occurredAt.toISOString()).toBe(expected.occurredAt.toISOString());
      expect(stored?.data).toEqual(expected.data);
      expect(stored?.tenantId).toBe("t-built");
    }
  });

  it("when a placeholder has no value, then the statement is refused before it reaches the database", async () => {
    const cache = new StatementCache();
    const r = row("00000000-0000-4000-8000-0000000000b3", new Date());
    const { type: _missing, ...values } = r;
    await expect(async () => cache.run(database.db, "vcs_test_built_missing", (db) => db.insert(outbox).values(placeholders(r)), values)).rejects.toThrow(/no value for placeholder "type"/);
  });
});
