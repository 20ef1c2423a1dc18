import { sql, type Placeholder, type Query } from "drizzle-orm";
import type { Db } from "./database.js";
import { placeholderParam, runBuiltQuery, shiftParameters } from "./drizzle-internals.js";

/**
 * Statements whose SQL text drizzle builds ONCE per shape, with placeholders, and that then run
 * on any session: the pool or a transaction. Drizzle's own `.prepare()` is bound to the session it
 * was built on, so a command's INSERTs (a fresh transaction every time) rebuilt their text on every
 * call: about a fifth of the create route's CPU in the bench profile (BENCHMARKS.md). The values
 * still pass through each column's encoder (drizzle keeps it beside the placeholder), and the name
 * makes PostgreSQL parse each statement once per connection.
 */
export class StatementCache {
  private readonly built = new Map<string, { sql: string; binders: Binder[] }>();

  /** `shape` names the statement (and its text): one shape, one text, forever. */
  run(db: Db, shape: string, build: (db: Db) => { toSQL(): Query }, values: Record<string, unknown>): Promise<unknown> {
    let query = this.built.get(shape);
    if (!query) {
      const { sql: text, params } = build(db).toSQL();
      query = { sql: text, binders: params.map(binder) };
      this.built.set(shape, query);
    }
    return runBuiltQuery(db, { sql: query.sql, params: query.binders.map((b) => b(values)) }, shape);
  }
}

type Binder = (values: Record<string, unknown>) => unknown;

/**
 * How one parameter gets its value, decided once per statement (drizzle's `is` checks walk the
 * prototype chain and were 5 % of the create route's CPU when done per call). A placeholder's
 * value goes through its column's encoder, as drizzle binds a literal value; null stays null
 * (drizzle's own fillPlaceholders would hand null to the encoder, which fails on dates).
 */
function binder(param: unknown): Binder {
  const placeholder = placeholderParam(param);
  if (!placeholder) return () => param;
  const { name, encode } = placeholder;
  if (!encode) return (values) => values[name];
  return (values) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for placeholder "${name}"`);
    return value === null ? null : encode(value);
  };
}

/** `{ key: placeholder(key + suffix) }` for every key of `row`: one VALUES row of placeholders. */
export function placeholders<T extends object>(row: T, suffix = ""): Record<keyof T, Placeholder> {
  return Object.fromEntries(Object.keys(row).map((k) => [k, sql.placeholder(k + suffix)])) as Record<keyof T, Placeholder>;
}

/** `{ key + suffix: value }` for every key of `row`: the values of `placeholders(row, suffix)`. */
export function suffixed(row: object, suffix: string, into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) into[k + suffix] = v;
  return into;
}

/**
 * `with first as (<first>) <then>`: two INSERTs as one statement, one round trip. The second's
 * `$n` move up by the first's parameter count. Both must be built from placeholders only (every
 * `$n` in their text is a parameter), and a StatementCache shape name must pin the whole shape
 * (for the session insert: the participant count, every participant row having the same keys).
 */
export function withInsert(first: { toSQL(): Query }, then: { toSQL(): Query }): { toSQL(): Query } {
  return {
    toSQL: () => {
      const a = first.toSQL();
      const b = then.toSQL();
      return { sql: `with "first_insert" as (${a.sql}) ${shiftParameters(b.sql, a.params.length)}`, params: [...a.params, ...b.params] };
    },
  };
}
