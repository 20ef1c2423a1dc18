import type pg from "pg";
import type { Db } from "./database.js";
import { pipelinePoolOf, transactionOnClient } from "./drizzle-internals.js";

/**
 * Transactions on the tenant pool's pipeline-mode connections (node-postgres `pipeline: true`;
 * issue 23, docs/decisions.md "Pipelined transactions"). A statement is written to the socket
 * without waiting for the answer to the one before it, and PostgreSQL answers in order, so:
 *
 * - BEGIN (with the tenant setting) is not awaited: it travels with the transaction's first
 *   statement, and its answer is checked before the commit;
 * - a write whose answer nobody needs (the outbox rows, a new session) is handed to
 *   `untilCommit` instead of awaited: it travels with whatever is sent next, COMMIT at the latest;
 * - a read that is the transaction's only statement travels with BEGIN and COMMIT: one round trip
 *   (`oneStatement`).
 *
 * Each statement keeps its named prepared statement and cached plan (the extended protocol): what
 * the one-string simple-protocol form lost (BENCHMARKS.md, issue 14).
 *
 * What can go wrong, and why it stays safe: a statement that fails aborts the transaction, so
 * every statement after it fails too and the COMMIT is answered ROLLBACK; the first failure in
 * the order sent is the one reported, and a COMMIT that did not commit is an error even when no
 * statement reported one. If BEGIN itself failed (in practice only with the connection lost, and
 * then every later statement fails as well), a statement sent behind it would run outside the
 * transaction, without the tenant setting: row-level security then shows it no row and refuses
 * its writes, and the transaction is reported failed.
 */
const open = new WeakMap<Db, PipelinedTransaction>();

class PipelinedTransaction {
  /** Sent, not awaited: BEGIN and the `untilCommit` writes, in the order sent. */
  readonly unanswered: Array<Promise<unknown>> = [];
  sent = 0;
  /** Set once COMMIT is on its way; a statement after it would run outside the transaction. */
  closed = false;

  expect(answer: Promise<unknown>): void {
    // Observed at once (no unhandled rejection); looked at again before the commit.
    answer.catch(() => undefined);
    this.unanswered.push(answer);
  }

  /** The first of the unanswered statements that failed, in the order sent. */
  async firstFailure(): Promise<unknown> {
    for (const answer of this.unanswered) {
      const failure = await answer.then(
        () => undefined,
        (err: unknown) => err ?? new Error("statement failed"),
      );
      if (failure !== undefined) return failure;
    }
    return undefined;
  }
}

/**
 * Runs `work` in one transaction opened by `begin` (SQL text; e.g. BEGIN and the tenant setting)
 * on `db`'s pipeline-mode pool; null when `db` has none (PGlite, the system pool), for the caller
 * to run a plain transaction. `oneStatement`: `work` sends exactly one statement, and COMMIT
 * follows it at once; a second statement is refused.
 */
export function runPipelined<T>(db: Db, begin: string, work: (tx: Db) => Promise<T>, oneStatement = false): Promise<T> | null {
  const pool = pipelinePoolOf(db);
  return pool ? run(pool, db, begin, work, oneStatement) : null;
}

async function run<T>(pool: pg.Pool, db: Db, begin: string, work: (tx: Db) => Promise<T>, oneStatement: boolean): Promise<T> {
  const client = await pool.connect();
  const state = new PipelinedTransaction();
  let coalesce: () => void = () => undefined;
  const counted: Pick<pg.PoolClient, "query"> = {
    query: ((...args: Parameters<pg.PoolClient["query"]>) => {
      // After COMMIT (or ROLLBACK) the connection may already serve another transaction.
      if (state.closed) throw new Error("a statement after the COMMIT of its transaction");
      state.sent += 1;
      coalesce();
      return (client.query as (...a: unknown[]) => unknown)(...args);
    }) as pg.PoolClient["query"],
  };
  let commit: Promise<pg.QueryResult> | undefined;
  const sendCommit = () => {
    state.closed = true;
    coalesce();
    const answer = client.query("commit");
    answer.catch(() => undefined);
    return answer;
  };
  try {
    coalesce = writeCoalescer(client);
    const tx = transactionOnClient(db, counted);
    open.set(tx, state);
    coalesce();
    state.expect(client.query(begin));
    const working = work(tx);
    // The read was written synchronously (drizzle calls the driver before its first await).
    if (oneStatement && state.sent === 1) commit = sendCommit();
    const value = await working;
    commit ??= sendCommit();
    const failure = await state.firstFailure();
    if (failure !== undefined) throw failure;
    const done = await commit;
    if (done.command !== "COMMIT") throw new Error(`the transaction was not committed (PostgreSQL answered ${done.command})`);
    client.release();
    return value;
  } catch (err) {
    state.closed = true;
    // The first statement that failed explains those after it (they fail as "transaction aborted").
    const first = (await state.firstFailure()) ?? err;
    await commit?.catch(() => undefined);
    // Ends the transaction if COMMIT was not sent or not reached; a connection that cannot even
    // do that is dropped, so no pooled connection carries a transaction into another request.
    await client.query("rollback").then(
      () => client.release(),
      (e: Error) => client.release(e),
    );
    throw first;
  }
}

/**
 * What the transaction writes in one turn of the event loop leaves in one system call: the
 * socket is corked at the first write of a turn and uncorked on the next tick (Node's advice for
 * a burst of writes). node-postgres writes each statement's messages corked already, but each
 * statement on its own; on this VM a socket write (writev) was the largest item of the service's
 * CPU profile (BENCHMARKS.md, issue 23). The stream is node-postgres' `connection.stream`.
 */
function writeCoalescer(client: pg.PoolClient): () => void {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
  if (!stream?.cork || !stream.uncork) return () => undefined;
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    stream.cork!();
    process.nextTick(() => {
      corked = false;
      stream.uncork!();
    });
  };
}

/**
 * For a write whose answer the caller does not need before the commit: on a pipelined
 * transaction it is not awaited (its failure fails the commit, mapped by `mapError` first);
 * elsewhere it is awaited here. Either way the returned promise says nothing about the write.
 */
export async function untilCommit(tx: Db, write: PromiseLike<unknown>, mapError?: (err: unknown) => unknown): Promise<void> {
  // One `.then`, always: a drizzle builder is a thenable that runs its query on every `.then`.
  const mapped = Promise.resolve(
    write.then(
      () => undefined,
      (err: unknown) => {
        throw mapError ? mapError(err) : err;
      },
    ),
  );
  const state = open.get(tx);
  if (state) state.expect(mapped);
  else await mapped;
}
