import { and, asc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { OutboxMessage, OutboxRelayStore, PendingFilter } from "../../../platform/worker-ports.js";
import { clientConfig, DEFAULT_TUNING, endClient, GuardedClient, type ConnectionTuning } from "../connection/connection.js";
import { StatementCache } from "../connection/built-statement.js";
import { withFlatRowMapper } from "../connection/drizzle-internals.js";
import type { Db } from "../connection/database.js";
import { outbox, schema } from "../schema.js";

/**
 * The relay's wait for work: ends on `signal()` (rows committed), `interrupt()` (connection lost)
 * or the poll interval; a signal while nobody waits makes the next wait return at once.
 */
class Wakeup {
  private pending = false;
  private waiter: (() => void) | null = null;

  signal(): void {
    this.pending = true;
    this.waiter?.();
  }

  interrupt(): void {
    this.waiter?.();
  }

  wait(ms: number, abort: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort.removeEventListener("abort", done);
        this.waiter = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.addEventListener("abort", done, { once: true });
      this.waiter = done;
    });
  }
}

/** "vcs-relay" in ASCII: the advisory lock whose holder is the one relaying replica. */
const RELAY_LOCK_KEY = 0x7663_732d_7265_6cn.toString();
/**
 * The relay's connection lives as long as the process, and PostgreSQL keeps a prepared
 * statement's generic plan until the table's statistics change. Planned while the outbox held a few
 * rows, the mark became a scan of the whole table, kept after it grew (where autovacuum does not
 * analyze it, never replaced): about 1,000 rows a second drained after a burst (BENCHMARKS.md,
 * issue 23). Planning each batch for its own ids costs a fraction of a millisecond.
 */
const PLAN_EVERY_BATCH = "-c plan_cache_mode=force_custom_plan";
/**
 * Marking a row published leaves its entry in the pending index (a partial index on `seq` where
 * `published_at is null`) until VACUUM. An ordered index scan marks such entries dead as it passes
 * them, so the next batch skips them; a bitmap scan never does. Under row-level security the
 * planner chose a bitmap scan and a sort for the pending read: every batch then re-read every row
 * published since the last VACUUM (62,000 index entries for 200 rows; 125,000–139,000 buffers and
 * 60–90 ms per batch during a burst of other writers), and the relay fell behind (BENCHMARKS.md,
 * issue 23, fifth pass). This connection sends nothing that a bitmap scan would serve better.
 */
const ORDERED_INDEX_SCANS = "-c enable_bitmapscan=off";
/** Notified after outbox rows commit in a replica that does not lead (change-signals.ts). */
export const OUTBOX_CHANNEL = "virtual_care_outbox";

const statements = new StatementCache();
const markPublished = (db: Db) =>
  db
    .update(outbox)
    .set({ publishedAt: sql`${sql.placeholder("at")}::timestamptz` })
    .where(sql`${outbox.id} = any(${sql.placeholder("ids")}::uuid[])`);

/** What the relay and the webhook fan-out hand on of a row (`toOutboxMessage`). */
export const messageColumns = {
  id: outbox.id,
  seq: outbox.seq,
  tenantId: outbox.tenantId,
  aggregateType: outbox.aggregateType,
  aggregateId: outbox.aggregateId,
  type: outbox.type,
  data: outbox.data,
  occurredAt: outbox.occurredAt,
  traceparent: outbox.traceparent,
};

/** Queries shared by both stores; `db` is whatever connection the store relays on. */
class OutboxRows {
  /**
   * The batch read without holds, every pass: built and prepared once, its rows mapped with
   * decoders decided once (drizzle building the select and mapping each row by walking its
   * columns was about 3 % of the service's CPU under the create load, issue 23).
   */
  private readonly pendingAll;

  constructor(private readonly db: Db) {
    this.pendingAll = withFlatRowMapper(
      db.select(messageColumns).from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.seq)).limit(sql.placeholder("limit")).prepare("vcs_outbox_pending"),
    );
  }

  async pending(limit: number, filter?: PendingFilter): Promise<OutboxMessage[]> {
    if (!filter?.excludeTypes.length && !filter?.excludeAggregates.length) return (await this.pendingAll.execute({ limit })).map(toOutboxMessage);
    const conditions: SQL[] = [isNull(outbox.publishedAt)];
    // Held rows are skipped while walking the pending index in seq order: a held backlog costs a
    // scan past it per batch, not a stall (docs/operations.md "Relay isolation").
    if (filter?.excludeTypes.length) conditions.push(sql`not (${outbox.type} = any(${sql.param(filter.excludeTypes)}::text[]))`);
    if (filter?.excludeAggregates.length) {
      conditions.push(sql`not ((${outbox.aggregateType} || '/' || ${outbox.aggregateId}) = any(${sql.param(filter.excludeAggregates)}::text[]))`);
    }
    const rows = await this.db
      .select(messageColumns)
      .from(outbox)
      .where(and(...conditions))
      .orderBy(asc(outbox.seq))
      .limit(limit);
    return rows.map(toOutboxMessage);
  }

  async markPublished(ids: string[], at: Date): Promise<void> {
    // One array parameter and a text built once: drizzle building `in ($1, …, $n)` for every batch
    // was 4.5 % of the service's CPU under the create load (BENCHMARKS.md, issue 23).
    if (ids.length > 0) await statements.run(this.db, "vcs_outbox_mark_published", markPublished, { at: at.toISOString(), ids });
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error.slice(0, 200) })
      .where(eq(outbox.id, id));
  }
}

/**
 * PostgreSQL: the replica holding a session-level advisory lock on its own connection is the only
 * one relaying (see docs/decisions.md). Everything the leader does runs on that connection, so a
 * leader that lost it can neither read nor mark rows; its lock died with the connection and a
 * standby takes over. The same connection LISTENs for the outbox trigger's notifications.
 */
export class PostgresLeaderRelayStore implements OutboxRelayStore {
  private client: pg.Client | null = null;
  private rows: OutboxRows | null = null;
  private leader = false;
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly databaseUrl: string,
    private readonly tuning: ConnectionTuning = DEFAULT_TUNING,
  ) {}

  async acquire(): Promise<boolean> {
    if (this.leader && this.client && this.rows) return true;
    const client = this.client ?? (await this.connect());
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1) as locked", [RELAY_LOCK_KEY]);
    if (!rows[0]?.locked) return false;
    await client.query(`listen ${OUTBOX_CHANNEL}`);
    this.leader = true;
    this.wakeup.signal(); // rows may have been committed before we listened
    return true;
  }

  pending(limit: number, filter?: PendingFilter): Promise<OutboxMessage[]> {
    return this.leaderRows().pending(limit, filter);
  }

  markPublished(ids: string[], at: Date): Promise<void> {
    return this.leaderRows().markPublished(ids, at);
  }

  markFailed(id: string, error: string): Promise<void> {
    return this.leaderRows().markFailed(id, error);
  }

  waitForWork(ms: number, signal: AbortSignal): Promise<void> {
    return this.wakeup.wait(ms, signal);
  }

  wake(): void {
    this.wakeup.signal();
  }

  async release(): Promise<void> {
    const client = this.client;
    this.drop();
    // Closing the connection ends the session, which releases the advisory lock. Bounded: a
    // server that went silent never acknowledges the goodbye.
    if (client) await endClient(client, this.tuning.connectTimeoutMs);
  }

  private async connect(): Promise<pg.Client> {
    const config = clientConfig(this.databaseUrl, this.tuning, "vcs-outbox-relay", "system");
    const client = new GuardedClient({ ...config, options: `${config.options ?? ""} ${PLAN_EVERY_BATCH} ${ORDERED_INDEX_SCANS}`.trim() });
    client.on("error", () => this.drop(client));
    client.on("end", () => this.drop(client));
    client.on("notification", () => this.wakeup.signal());
    await client.connect();
    this.client = client;
    this.rows = new OutboxRows(drizzlePg(client, { schema }) as unknown as Db);
    return client;
  }

  private leaderRows(): OutboxRows {
    if (!this.leader || !this.rows) throw new Error("this replica is not the outbox relay leader");
    return this.rows;
  }

  private drop(client?: pg.Client): void {
    if (client && client !== this.client) return;
    this.client = null;
    this.rows = null;
    this.leader = false;
    this.wakeup.interrupt();
  }
}

/** PGlite: one process owns the database, so it is always the leader; woken in process, else it polls. */
export class EmbeddedRelayStore implements OutboxRelayStore {
  private readonly rows: OutboxRows;
  private readonly wakeup = new Wakeup();

  constructor(db: Db) {
    this.rows = new OutboxRows(db);
  }

  acquire(): Promise<boolean> {
    return Promise.resolve(true);
  }

  pending(limit: number, filter?: PendingFilter): Promise<OutboxMessage[]> {
    return this.rows.pending(limit, filter);
  }

  markPublished(ids: string[], at: Date): Promise<void> {
    return this.rows.markPublished(ids, at);
  }

  markFailed(id: string, error: string): Promise<void> {
    return this.rows.markFailed(id, error);
  }

  waitForWork(ms: number, signal: AbortSignal): Promise<void> {
    return this.wakeup.wait(ms, signal);
  }

  wake(): void {
    this.wakeup.signal();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

type MessageRow = Pick<typeof outbox.$inferSelect, keyof typeof messageColumns>;

/** An outbox row as the relay and the webhook fan-out hand it on. */
export function toOutboxMessage(r: MessageRow): OutboxMessage {
  return {
    id: r.id,
    seq: r.seq,
    tenantId: r.tenantId,
    aggregateType: r.aggregateType,
    aggregateId: r.aggregateId,
    type: r.type,
    data: r.data as Record<string, unknown>,
    occurredAt: r.occurredAt,
    traceparent: r.traceparent,
  };
}
