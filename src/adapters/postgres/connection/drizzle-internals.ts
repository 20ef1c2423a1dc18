/**
 * Every use this service makes of drizzle-orm beyond its documented API, in one file. Each one
 * buys a round trip or the SQL text build on a hot path (BENCHMARKS.md); each one can break on
 * an upgrade without a type error. test/contract/drizzle-internals.test.ts exercises each on
 * PostgreSQL and PGlite and fails while the installed drizzle-orm is not the version below: on an
 * upgrade, read what changed in these places, run that test, then move the pin.
 */
import { Column, is, Param, Placeholder, SQL, type Query } from "drizzle-orm";
import { NodePgDatabase, NodePgSession, NodePgTransaction } from "drizzle-orm/node-postgres";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";
import pg from "pg";
import type { Db } from "./database.js";

/** The drizzle-orm version these internals were last checked against (package-lock.json). */
export const DRIZZLE_VERSION_CHECKED = "0.45.4";

/** What drizzle's sessions and prepared queries hold that the public types do not show. */
interface WithSession {
  session: PgSession & { client: unknown };
}

/**
 * Runs SQL text drizzle built earlier (`toSQL()`) on `db`'s session, the pool or a transaction,
 * as a named statement: `session.prepareQuery` only wraps the text, it is what drizzle's own
 * builders call. Drizzle's public `.prepare()` is bound to the session it was built on.
 */
export function runBuiltQuery(db: Db, query: Query, name: string): Promise<unknown> {
  const { session } = db as unknown as WithSession;
  return session.prepareQuery(query, undefined, name, false).execute();
}

/**
 * A parameter of built SQL that stands for a named placeholder, with the column's encoder
 * drizzle keeps beside it (`Param.encoder`); null for a literal value. `is` walks the prototype
 * chain, so callers decide this once per statement, not per call.
 */
export function placeholderParam(param: unknown): { name: string; encode?: (value: unknown) => unknown } | null {
  if (is(param, Param) && is(param.value, Placeholder)) {
    const encoder = param.encoder;
    return { name: param.value.name, encode: (value) => encoder.mapToDriverValue(value) };
  }
  if (is(param, Placeholder)) return { name: param.name };
  return null;
}

/**
 * Moves every `$n` of drizzle's PostgreSQL text up by `by`, so two built statements can share one
 * parameter list. Holds only for text built from placeholders: drizzle writes each parameter as
 * `$n` and nothing else in such text looks like one.
 */
export function shiftParameters(text: string, by: number): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
}

/** True on node-postgres (the pooled server), false on PGlite. */
export const isNodePostgres = (db: Db): boolean => is(db, NodePgDatabase);

/**
 * A node-postgres transaction whose BEGIN carries `statement` in the same round trip: drizzle
 * writes the transaction config after `begin` verbatim (`accessMode`), and without parameters
 * node-postgres sends it as a simple query, whose statements PostgreSQL runs in order (BEGIN,
 * then `statement` inside the transaction it opened). `statement` must be safe SQL: the caller
 * quotes any value in it.
 */
export function transactionBeginningWith<T>(db: Db, access: "read write" | "read only", statement: string, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction((tx) => work(tx as unknown as Db), { accessMode: `${access}; ${statement}` as "read write" });
}

/**
 * A statement prepared once on the pool, run on a transaction's connection: both drizzle drivers
 * keep the session's client in `client`, on the session and on each prepared query; only it
 * differs. Rebuilding the statement per transaction would cost the text build it exists to avoid.
 */
export function onTransaction<P extends object>(prepared: P, tx: Db): P {
  const { client } = (tx as unknown as WithSession).session;
  return Object.create(prepared, { client: { value: client } }) as P;
}

/** What drizzle's node-postgres session keeps to build a transaction's session (its constructor's arguments). */
interface PoolSession {
  client: unknown;
  dialect: PgDialect;
  schema: unknown;
  options: object;
}

/** The pipeline-mode pool `db` runs on (`pipeline: true`), or null: PGlite, a transaction, a plain pool. */
export function pipelinePoolOf(db: Db): pg.Pool | null {
  if (!isNodePostgres(db)) return null;
  const { client } = (db as unknown as { session: PoolSession }).session;
  return client instanceof pg.Pool && (client as pg.Pool & { options: { pipeline?: boolean } }).options.pipeline === true ? client : null;
}

/**
 * A drizzle transaction object over `client`, built as drizzle's own `session.transaction` builds
 * one (a session on the checked-out client, with the pool session's dialect, schema and options),
 * but without the BEGIN/COMMIT drizzle would send and await: the caller sends those.
 */
export function transactionOnClient(db: Db, client: Pick<pg.PoolClient, "query">): Db {
  const { dialect, schema, options } = (db as unknown as { session: PoolSession }).session;
  const session = new NodePgSession(client as pg.PoolClient, dialect, schema as never, options);
  return new NodePgTransaction(dialect, session, schema as never) as unknown as Db;
}

/** What drizzle's prepared queries keep to map rows (set by `.prepare()` on a select). */
interface PreparedSelect {
  queryString: string;
  params: unknown[];
  fields?: Array<{ path: string[]; field: unknown }>;
  joinsNotNullableMap?: unknown;
  customResultMapper?: (rows: unknown[][]) => unknown;
}

type Decoder = { mapFromDriverValue(value: unknown): unknown };

/**
 * Gives a prepared select whose fields are all top-level (no nested objects, so drizzle's
 * null-join rule does not apply) a row mapper that decides each column's key and decoder once:
 * drizzle's own `mapResultRow` decides them per column of every row with `is()` prototype walks,
 * about a tenth of the detail route's CPU in the bench profile (issue 23). Same keys, same
 * decoders, same nulls. A select with nested fields is left as it is.
 */
export function withFlatRowMapper<P>(select: P): P {
  const prepared = select as unknown as PreparedSelect;
  const fields = prepared.fields ?? [];
  if (fields.some((f) => f.path.length !== 1)) return select;
  const keys = fields.map((f) => f.path[0]!);
  // As mapResultRow picks them: a column decodes itself, sql`` and its alias carry a decoder.
  const decoders = fields.map(({ field }) =>
    is(field, Column) ? field : is(field, SQL) ? (field as unknown as { decoder?: Decoder }).decoder : (field as { sql?: { decoder?: Decoder } }).sql?.decoder,
  );
  if (decoders.some((d) => typeof d?.mapFromDriverValue !== "function")) return select;
  prepared.customResultMapper = (rows) =>
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const raw = row[i];
        out[keys[i]!] = raw === null ? null : (decoders[i] as Decoder).mapFromDriverValue(raw);
      }
      return out;
    });
  return select;
}

/**
 * A statement prepared on `db` from a prepared select's SQL text wrapped by `wrap` (e.g. into a
 * CTE that also writes), with `extraParams` after the select's own, answering rows mapped as the
 * select's are: drizzle keeps the field list and the join map on its prepared query, and the
 * mapping needs nothing else. `wrap` must keep the select's columns, in order, as the result.
 */
export function wrappedSelect<P>(
  db: Db,
  select: P,
  name: string,
  wrap: (text: string, firstFreeParameter: number) => string,
  extraParams: unknown[],
  /** Columns `wrap` answers after the select's own, copied raw onto each row under these keys. */
  extraColumns: string[] = [],
): P {
  const base = select as unknown as PreparedSelect;
  const { session } = db as unknown as WithSession;
  const text = wrap(base.queryString, base.params.length + 1);
  const prepared = session.prepareQuery({ sql: text, params: [...base.params, ...extraParams] }, base.fields as never, name, true) as unknown as PreparedSelect;
  prepared.joinsNotNullableMap = base.joinsNotNullableMap;
  const mapRows = base.customResultMapper;
  if (extraColumns.length > 0) {
    // Only a flat mapper (withFlatRowMapper) knows where the select's columns end.
    if (!mapRows) throw new Error(`${name}: extra columns need a select with withFlatRowMapper`);
    const first = base.fields?.length ?? 0;
    prepared.customResultMapper = (rows) => {
      const mapped = mapRows(rows) as Array<Record<string, unknown>>;
      mapped.forEach((row, i) => extraColumns.forEach((key, j) => (row[key] = rows[i]![first + j])));
      return mapped;
    };
  } else if (mapRows) {
    prepared.customResultMapper = mapRows;
  }
  return prepared as unknown as P;
}

/** The keys of a prepared select's fields, in column order (for SQL that refers to its columns by position). */
export function selectKeys(select: unknown): string[] {
  return ((select as PreparedSelect).fields ?? []).map((f) => f.path.join("."));
}
