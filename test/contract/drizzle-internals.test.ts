import { readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeholders } from "../../src/adapters/postgres/connection/built-statement.js";
import { pgErrorCode, type Database, type Db } from "../../src/adapters/postgres/connection/database.js";
import {
  DRIZZLE_VERSION_CHECKED,
  isNodePostgres,
  onTransaction,
  pipelinePoolOf,
  withFlatRowMapper,
  placeholderParam,
  runBuiltQuery,
  shiftParameters,
  transactionBeginningWith,
  wrappedSelect,
} from "../../src/adapters/postgres/connection/drizzle-internals.js";
import { outbox, schema, tenantConfigs } from "../../src/adapters/postgres/schema.js";
import { engines } from "../support/engines.js";
import { createTestDatabase, recordingPool, type TestDatabase } from "../support/postgres.js";

/**
 * src/adapters/postgres/connection/drizzle-internals.ts holds every use of drizzle-orm beyond its
 * documented API. Each is exercised here on the real engines, and the suite refuses to pass on
 * any other drizzle-orm than the one they were checked against: an upgrade must fail here, loudly,
 * not on the create path with wrong values or a lost tenant scope.
 */
describe("the drizzle-orm version the internals were checked against", () => {
  const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));

  it(`when drizzle-orm is installed or locked at another version than ${DRIZZLE_VERSION_CHECKED}, then this fails until drizzle-internals.ts is checked again`, () => {
    const installed = json("../../node_modules/drizzle-orm/package.json").version as string;
    const locked = json("../../package-lock.json").packages["node_modules/drizzle-orm"].version as string;
    const advice = "drizzle-orm changed: re-check every function of src/adapters/postgres/connection/drizzle-internals.ts, run this suite, then move DRIZZLE_VERSION_CHECKED";
    expect(installed, advice).toBe(DRIZZLE_VERSION_CHECKED);
    expect(locked, advice).toBe(DRIZZLE_VERSION_CHECKED);
  });
});

type Rows<T> = { rows: T[] };
const rowsOf = <T>(result: unknown) => (result as Rows<T>).rows;
const setting = sql<string | null>`current_setting('app.tenant_id', true)`;

describe.each(engines)("drizzle internals on $name", ({ name, open }) => {
  let database: Database;
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db: database, cleanup } = await open());
    db = database.db;
  });
  afterAll(() => cleanup());
  const inTransactionWithSetting = <T>(value: string, work: (tx: Db) => Promise<T>) =>
    db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await tx.execute(sql`select set_config('app.tenant_id', ${value}, true)`);
      return work(tx);
    });

  it("runBuiltQuery: built text runs as a named statement on the pool and on a transaction's connection", async () => {
    const query = { sql: "select $1::int + 1 as n, current_setting('app.tenant_id', true) as t", params: [41] };
    expect(rowsOf<{ n: number }>(await runBuiltQuery(db, query, "vcs_test_internal_run"))[0]?.n).toBe(42);
    const inside = await inTransactionWithSetting("t-run", (tx) => runBuiltQuery(tx, query, "vcs_test_internal_run"));
    expect(rowsOf<{ n: number; t: string }>(inside)[0]).toEqual({ n: 42, t: "t-run" });
  });

  it("placeholderParam: a placeholder keeps its name and its column's encoder; a literal is not a placeholder", () => {
    const at = new Date("2026-12-01T09:00:00.123Z");
    const row = { id: "00000000-0000-4000-8000-0000000000c1", tenantId: "t", aggregateType: "audit", aggregateId: "a", type: "x", data: { n: 1 }, occurredAt: at };
    const { params } = db.insert(outbox).values(placeholders(row)).toSQL();
    const found = params.map(placeholderParam);
    expect(found.map((p) => p?.name)).toEqual(Object.keys(row));
    const occurredAt = found[Object.keys(row).indexOf("occurredAt")]!;
    expect(occurredAt.encode, "drizzle's Param.encoder is gone").toBeTypeOf("function");
    // The timestamp column's encoder writes the instant as text PostgreSQL reads back exactly.
    expect(new Date(String(occurredAt.encode!(at))).toISOString()).toBe(at.toISOString());
    expect(JSON.parse(String(found[Object.keys(row).indexOf("data")]!.encode!({ n: 1 })))).toEqual({ n: 1 });
    const bare = db.select().from(outbox).where(eq(outbox.id, sql.placeholder("id"))).toSQL().params;
    expect(bare.map(placeholderParam).map((p) => p?.name)).toEqual(["id"]);
    const literal = db.select().from(outbox).where(eq(outbox.tenantId, "t-literal")).toSQL().params;
    expect(literal.map(placeholderParam)).toEqual([null]);
  });

  it("shiftParameters: drizzle writes each parameter as $n, so two built statements share one parameter list", async () => {
    const first = db.select({ a: sql<string>`${sql.placeholder("a")}::text`.as("a") }).from(sql`(select 1) as one`).toSQL();
    const then = db.select({ b: sql<string>`${sql.placeholder("b")}::text || ${sql.placeholder("c")}::text`.as("b") }).from(sql`(select 1) as two`).toSQL();
    for (const built of [first, then]) expect([...built.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]))).toEqual(built.params.map((_, i) => i + 1));
    const combined = `with "first" as (${first.sql}) select (select "a" from "first") as "a", "b" from (${shiftParameters(then.sql, first.params.length)}) as "second"`;
    const result = await runBuiltQuery(db, { sql: combined, params: ["x", "y", "z"] }, "vcs_test_internal_shift");
    expect(rowsOf<{ a: string; b: string }>(result)[0]).toEqual({ a: "x", b: "yz" });
    expect(shiftParameters('select $1, $10, "$2"', 3)).toBe('select $4, $13, "$5"');
  });

  it("onTransaction: a statement prepared on the pool runs on the transaction's connection, and still on the pool afterwards", async () => {
    const prepared = db.select({ t: setting }).from(sql`(select 1) as one`).prepare("vcs_test_internal_on_tx");
    const inside = await inTransactionWithSetting("t-prepared", (tx) => onTransaction(prepared, tx).execute());
    expect(inside).toEqual([{ t: "t-prepared" }]);
    const outside = await prepared.execute();
    expect(outside[0]?.t ?? "").toBe("");
  });

  it(`isNodePostgres tells the pooled server from PGlite (${name})`, () => {
    expect(isNodePostgres(db)).toBe(name === "PostgreSQL");
  });

  it(`pipelinePoolOf finds the tenant pool's pipeline mode; the system pool and PGlite have none (${name})`, () => {
    expect(pipelinePoolOf(db) !== null).toBe(name === "PostgreSQL");
    expect(pipelinePoolOf(database.system)).toBeNull();
  });

  it("withFlatRowMapper: a select of top-level fields maps rows exactly as drizzle does (columns, sql with mapWith, a left join's nulls), with its keys and decoders decided once", async () => {
    await database.system.insert(outbox).values({ id: "50000000-0000-4000-8000-000000000002", tenantId: "t-flat", aggregateType: "audit", aggregateId: "y", type: "t", data: { a: 1 }, occurredAt: new Date("2026-12-01T10:00:00Z") });
    const build = (name: string) =>
      db
        .select({ id: outbox.id, occurredAt: outbox.occurredAt, data: outbox.data, n: sql<number>`1 + 1`.mapWith(Number), other: sql<string | null>`null`, joined: tenantConfigs.version })
        .from(outbox)
        .leftJoin(tenantConfigs, eq(tenantConfigs.tenantId, outbox.tenantId))
        .where(eq(outbox.id, sql.placeholder("id")))
        .prepare(name);
    const plain = build("vcs_test_flat_plain");
    const flat = withFlatRowMapper(build("vcs_test_flat_mapped"));
    expect((flat as unknown as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf("function");
    const values = { id: "50000000-0000-4000-8000-000000000002" };
    const [mine, theirs] = [await flat.execute(values), await plain.execute(values)];
    expect(mine).toEqual(theirs);
    expect(mine[0]).toEqual({ id: values.id, occurredAt: new Date("2026-12-01T10:00:00Z"), data: { a: 1 }, n: 2, other: null, joined: null });
  });

  it("wrappedSelect: a prepared select's text wrapped in a CTE keeps the select's row mapping, with parameters after its own", async () => {
    const select = db.select({ id: outbox.id, occurredAt: outbox.occurredAt }).from(outbox).where(eq(outbox.id, sql.placeholder("id"))).prepare("vcs_test_wrapped_base");
    const wrapped = wrappedSelect(db, select, "vcs_test_wrapped", (text, n) => `with "r" as (${text}) select * from "r" where $${n}::int = 1`, [sql.placeholder("one")]);
    await database.system.insert(outbox).values({ id: "50000000-0000-4000-8000-000000000001", tenantId: "t-wrap", aggregateType: "audit", aggregateId: "x", type: "t", data: {}, occurredAt: new Date("2026-12-01T09:00:00Z") });
    const [row] = await wrapped.execute({ id: "50000000-0000-4000-8000-000000000001", one: 1 });
    expect(row).toEqual({ id: "50000000-0000-4000-8000-000000000001", occurredAt: new Date("2026-12-01T09:00:00Z") });
    expect(await wrapped.execute({ id: "50000000-0000-4000-8000-000000000001", one: 2 })).toEqual([]);
  });
});

describe("transactionBeginningWith on PostgreSQL (node-postgres only)", () => {
  let tdb: TestDatabase;
  let pool: ReturnType<typeof recordingPool>;
  let db: Db;
  const sent: string[] = [];
  beforeAll(async () => {
    tdb = await createTestDatabase();
    pool = recordingPool(tdb.url, 1, sent);
    db = drizzle(pool, { schema }) as unknown as Db;
  });
  afterAll(async () => {
    await pool?.end();
    await tdb?.drop();
  });

  it("when a transaction begins with a statement, then BEGIN, the access mode and the statement travel in one round trip and hold for that transaction only", async () => {
    sent.length = 0;
    const seen = await transactionBeginningWith(db, "read only", "select set_config('app.tenant_id', 't-begin', true)", async (tx) => {
      const rows = rowsOf<{ t: string; ro: string }>(await tx.execute(sql`select ${setting} as t, current_setting('transaction_read_only') as ro`));
      return rows[0];
    });
    expect(seen).toEqual({ t: "t-begin", ro: "on" });
    expect(sent[0]).toBe("begin read only; select set_config('app.tenant_id', 't-begin', true)");
    expect(sent).toHaveLength(3); // begin+setting, the read, commit
    const after = rowsOf<{ t: string | null }>(await db.execute(sql`select ${setting} as t`));
    expect(after[0]?.t ?? "").toBe("");
  });

  it("when the access mode is read only, then a write inside is refused by PostgreSQL", async () => {
    const write = transactionBeginningWith(db, "read only", "select 1", (tx) => tx.execute(sql`create table nope (id int)`));
    expect(pgErrorCode(await write.then(() => null, (err: unknown) => err)).code).toBe("25006"); // read_only_sql_transaction
  });
});
