import { is, sql } from "drizzle-orm";
import { NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import type { Db } from "./database.js";

/**
 * Row-level security (migration 0007_rls): a transaction sees and writes only the rows of the
 * tenant it set here, for itself only (`set_config(…, true)` ends with the transaction, so a
 * pooled connection never carries a tenant into the next request).
 */
export const TENANT_SETTING = "app.tenant_id";

/**
 * Runs `work` in one transaction scoped to `tenantId`. On node-postgres the setting travels with
 * BEGIN in one round trip: drizzle writes the transaction config after `begin` verbatim, and
 * without parameters node-postgres sends it as a simple query, whose statements PostgreSQL runs
 * in order (BEGIN, then set_config inside the transaction it opened). The tenant is a quoted
 * literal (pg's escapeLiteral), never spliced in raw. PGlite takes the setting as a statement of
 * its own (in process, a round trip costs nothing; and it runs as a superuser, so RLS does not
 * hold there anyway).
 */
export function inTenant<T>(db: Db, tenantId: string, work: (tx: Db) => Promise<T>, access: "read write" | "read only" = "read write"): Promise<T> {
  if (is(db, NodePgDatabase)) {
    const setTenant = `${access}; select set_config('${TENANT_SETTING}', ${pg.escapeLiteral(tenantId)}, true)`;
    return db.transaction((tx) => work(tx as unknown as Db), { accessMode: setTenant as "read write" });
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`);
    return work(tx as unknown as Db);
  });
}

type Literal = string | number;
type BuiltQuery = { toSQL(): { sql: string; params: unknown[] } };

/**
 * A hot read in ONE round trip under row-level security. `inTenant` costs three (BEGIN with the
 * setting, the read, COMMIT); here the three statements `set transaction read only`, the setting
 * and the read travel as one simple-protocol query, which PostgreSQL runs as one implicit
 * transaction, so the `set_config(…, true)` still ends with it. The simple protocol takes no
 * parameters: the read's placeholders become quoted literals (pg's escapeLiteral for text, digits
 * for safe integers, anything else refused), the way `inTenant` already sends the tenant. What it
 * gives up is the server-side prepared plan; for these primary-key and index reads planning costs
 * less than the two round trips it saves (BENCHMARKS.md, issue 14).
 *
 * `query` is a drizzle select built once with named placeholders; `fields` names its columns in
 * select order (rows come back as arrays, parsed by pg's default type parsers: timestamptz as
 * Date, json as objects, int4 as number).
 */
export class TenantRead<R> {
  private readonly pieces: string[] = [];
  private readonly slots: string[] = [];

  constructor(query: BuiltQuery, private readonly fields: ReadonlyArray<keyof R & string>) {
    const { sql: text, params } = query.toSQL();
    let last = 0;
    for (const match of text.matchAll(/\$(\d+)/g)) {
      const param = params[Number(match[1]) - 1] as { name?: unknown } | undefined;
      if (typeof param?.name !== "string") throw new Error(`TenantRead: parameter ${match[0]} is not a named placeholder`);
      this.pieces.push(text.slice(last, match.index));
      this.slots.push(param.name);
      last = match.index + match[0].length;
    }
    this.pieces.push(text.slice(last));
  }

  /** The read's text with `values` in place of its placeholders. */
  text(values: Record<string, Literal>): string {
    return this.pieces.reduce((out, piece, i) => (i === 0 ? piece : out + literal(values[this.slots[i - 1]!]) + piece), "");
  }

  async run(db: Db, tenantId: string, values: Record<string, Literal>): Promise<R[]> {
    const query = `set transaction read only; select set_config('${TENANT_SETTING}', ${literal(tenantId)}, true); ${this.text(values)}`;
    const results = await simpleQuery(db, query);
    const rows = results[results.length - 1]?.rows ?? [];
    return rows.map((row) => Object.fromEntries(this.fields.map((field, i) => [field, row[i]])) as R);
  }
}

function literal(value: Literal | undefined): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("TenantRead: only safe integers are sent as numbers");
    return String(value);
  }
  // A NUL ends a simple-protocol query text early; the extended protocol refuses it too.
  if (typeof value !== "string" || value.includes("\0")) throw new Error("TenantRead: a value is missing or holds a NUL");
  return pg.escapeLiteral(value);
}

/** One simple-protocol query (several statements, one implicit transaction), rows as arrays. */
async function simpleQuery(db: Db, text: string): Promise<Array<{ rows: unknown[][] }>> {
  const client = (db as unknown as { $client: unknown }).$client;
  if (is(db, NodePgDatabase)) {
    const result = await (client as pg.Pool).query({ text, rowMode: "array" });
    return (Array.isArray(result) ? result : [result]) as Array<{ rows: unknown[][] }>;
  }
  // PGlite: exec takes the same text; it waits for any transaction in progress to end.
  return (client as PGlite).exec(text, { rowMode: "array" }) as unknown as Promise<Array<{ rows: unknown[][] }>>;
}
