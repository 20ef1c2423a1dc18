import type { PgbenchResult } from "./pgbench.js";
import type { LoadResult } from "./load.js";
import { SCENARIO_KEYS, type ScenarioKey } from "./scenarios.js";

export interface Measured extends LoadResult {
  peakRssMb: number;
  /** CPU the server process spent per answered request: a cost, much less noisy than req/s here. */
  cpuMsPerRequest: number;
}

export interface ScenarioFigures {
  key: ScenarioKey;
  name: string;
  service: Measured;
  limit?: LoadResult;
  pgbench?: PgbenchResult;
  /** The least-work limit (bench/least-work.ts): bare server, and the same statements via pgbench. */
  least?: LoadResult;
  leastPgbench?: PgbenchResult;
  /** The service driven at half its measured throughput (scenarios with `p99AtHalfPeak`). */
  halfPeak?: LoadResult & { rate: number };
  /** The same-statement limit driven at half of its own peak: the same share of its capacity. */
  limitOwnHalf?: LoadResult & { rate: number };
}

/** Issue 6's targets: ratio of the limit, per scenario. */
export const TARGETS: Record<ScenarioKey, number> = { create: 0.5, detail: 0.7, list: 0.7, status: 0.7, validate: 0.7 };
/** Issue 14's targets: ratio of the least-work limit (create ≥ 0.5, reads ≥ 0.7). */
export const LEAST_TARGETS: Record<ScenarioKey, number> = { create: 0.5, detail: 0.7, list: 0.7, status: 0.7, validate: 0.7 };
export const RSS_TARGET_MB = 200;

/** Rounds of one server: throughput over all of them, mean p50, worst p99, highest RSS. */
export function combine(runs: Measured[]): Measured {
  const n = runs.length;
  return {
    rps: runs.reduce((a, r) => a + r.rps, 0) / n,
    p50: runs.reduce((a, r) => a + r.p50, 0) / n,
    p99: Math.max(...runs.map((r) => r.p99)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    failures: runs.reduce((a, r) => a + r.failures, 0),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    cpuMsPerRequest: runs.reduce((a, r) => a + r.cpuMsPerRequest * r.requests, 0) / Math.max(1, runs.reduce((a, r) => a + r.requests, 0)),
  };
}

/** Nearest-rank percentile of values sorted ascending (NaN when there are none). */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const col = (s: string | number, width: number) => String(s).padStart(width);
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

export function header(): string {
  return `${"scenario".padEnd(26)}${"server".padEnd(28)}${col("req/s", 9)}${col("p50 ms", 8)}${col("p99 ms", 8)}${col("RSS MB", 8)}${col("fail", 6)}${col("CPU ms/req", 11)}`;
}

export function row(scenario: string, server: string, r: Measured, showRss = true): string {
  return `${scenario.padEnd(26)}${server.padEnd(28)}${col(fixed(r.rps, 0), 9)}${col(fixed(r.p50), 8)}${col(fixed(r.p99), 8)}${col(showRss ? fixed(r.peakRssMb, 0) : "", 8)}${col(r.failures, 6)}${col(fixed(r.cpuMsPerRequest, 2), 11)}`;
}

export function pgbenchRow(scenario: string, server: string, r: PgbenchResult): string {
  return `${scenario.padEnd(26)}${server.padEnd(28)}${col(fixed(r.tps, 0), 9)}${col(`avg ${fixed(r.latencyAvgMs)}`, 16)}${col("", 8)}${col(r.failed, 6)}`;
}

/** The ratio used for the target: service over the bare Fastify + pg limit (see BENCHMARKS.md). */
export function ratio(f: ScenarioFigures): number | null {
  return f.limit && f.limit.rps > 0 ? f.service.rps / f.limit.rps : null;
}

/** Service over the least-work limit's bare server (the figure the issue 14 targets judge). */
export function leastRatio(f: ScenarioFigures): number | null {
  return f.least && f.least.rps > 0 ? f.service.rps / f.least.rps : null;
}

// Judged on the printed two decimals, as the last line reports it.
const verdict = (r: number, target: number) => `${Number(r.toFixed(2)) >= target ? "meets" : "MISSES"} ≥ ${target.toFixed(2)}`;

export function ratioLine(f: ScenarioFigures): string {
  const r = ratio(f);
  if (r === null) return `  ${f.key}: no limit measured`;
  const l = leastRatio(f);
  const least = l === null ? "" : `; service/least-work ${l.toFixed(2)} (${verdict(l, LEAST_TARGETS[f.key])})`;
  const leastPg = f.leastPgbench ? `, vs least-work pgbench ${(f.service.rps / f.leastPgbench.tps).toFixed(2)}` : "";
  const pg = f.pgbench ? `; vs pgbench ${(f.service.rps / f.pgbench.tps).toFixed(2)}` : "";
  const own = f.limitOwnHalf ? ` (the limit at half of its own peak, ${f.limitOwnHalf.rate.toFixed(0)} req/s: ${f.limitOwnHalf.p99.toFixed(1)} ms)` : "";
  const half = f.halfPeak ? `; p99 at half peak (${f.halfPeak.rate.toFixed(0)} req/s) ${f.halfPeak.p99.toFixed(1)} ms${own}` : "";
  const rss = f.service.peakRssMb < RSS_TARGET_MB ? "" : `; peak RSS ${f.service.peakRssMb.toFixed(0)} MB MISSES < ${RSS_TARGET_MB}`;
  return `  ${f.key}: service/limit ${r.toFixed(2)} (${verdict(r, TARGETS[f.key])})${pg}${least}${leastPg}${half}${rss}`;
}

/** The last line, exactly: `bench: create=R detail=R list=R status=R validate=R least: create=R … validate=R`. */
export function finalLine(figures: ScenarioFigures[]): string {
  const parts = (of: (f: ScenarioFigures) => number | null) =>
    SCENARIO_KEYS.map((key) => {
      const f = figures.find((x) => x.key === key);
      const r = f ? of(f) : null;
      return `${key}=${r === null ? "n/a" : r.toFixed(2)}`;
    }).join(" ");
  return `bench: ${parts(ratio)} least: ${parts(leastRatio)}`;
}
