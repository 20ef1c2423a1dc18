/**
 * `npm run bench:notify`: what a NOTIFY inside every writing transaction costs the database. The
 * create route's transaction (session, 2 participants, 2 outbox rows; scenarios.ts) through
 * pgbench, 10 clients, alternating without and with migration 0001's statement trigger (dropped
 * by 0004 in favour of a wake-up after the commit, change-signals.ts). Prints tps; no assertions.
 */
import { openDatabase } from "../src/adapters/postgres/connection/database.js";
import { runPgbench } from "./pgbench.js";
import { createScenario } from "./scenarios.js";
import { createBenchDatabase } from "./service.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = 3;

async function main(): Promise<void> {
  const db = await createBenchDatabase();
  try {
    const database = await openDatabase({ databaseUrl: db.url, dataDir: "/tmp", migrate: true });
    const run = (sql: string) => database.pool!.query(sql);
    for (let t = 0; t < 100; t++) {
      await run(`insert into tenant_configs (tenant_id, version, config, updated_at) values ('bench-tenant-${String(t).padStart(3, "0")}', 1, '{}', now())`);
    }
    const withTrigger = async (on: boolean) => {
      if (on) {
        await run(`create or replace function virtual_care_outbox_notify() returns trigger language plpgsql as $$
          begin perform pg_notify('virtual_care_outbox', ''); return null; end $$`);
        await run(`create trigger virtual_care_outbox_notify after insert on virtual_care_outbox for each statement execute function virtual_care_outbox_notify()`);
      } else {
        await run(`drop trigger if exists virtual_care_outbox_notify on virtual_care_outbox`);
      }
    };
    const tps: Record<"without" | "with", number[]> = { without: [], with: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const on of [false, true]) {
        await withTrigger(on);
        const result = await runPgbench(db.url, createScenario.pgbench!, 10, SECONDS);
        tps[on ? "with" : "without"].push(result.tps);
      }
    }
    await database.close();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`create transaction through pgbench, 10 clients, ${ROUNDS} × ${SECONDS} s each, alternating:`);
    console.log(`  without a NOTIFY in the transaction: ${tps.without.map((x) => x.toFixed(0)).join(", ")} tps (mean ${mean(tps.without).toFixed(0)})`);
    console.log(`  with the statement trigger's NOTIFY: ${tps.with.map((x) => x.toFixed(0)).join(", ")} tps (mean ${mean(tps.with).toFixed(0)})`);
    console.log(`notify: without=${mean(tps.without).toFixed(0)} with=${mean(tps.with).toFixed(0)} cost=${(100 * (1 - mean(tps.with) / mean(tps.without))).toFixed(0)}%`);
  } finally {
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
