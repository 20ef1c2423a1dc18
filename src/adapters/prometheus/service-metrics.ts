import { Gauge, Histogram, type Registry } from "prom-client";
import type { Database } from "../postgres/connection/database.js";

/** What the service's gauges read at scrape time (each may be absent: no NATS, PGlite, no relay). */
export interface ServiceMetricSources {
  database: Database;
  /** True while this replica leads the outbox relay. */
  relayLeader?: () => boolean;
  /** True while the NATS connection is up; absent without NATS_URL. */
  natsConnected?: () => boolean;
}

/**
 * The operator's questions, answered at scrape time from the database and the process: is the
 * outbox draining (backlog, oldest unpublished age), does this replica lead the relay, is NATS up,
 * is the pool exhausted, how many ended visits still wait for their Encounter. Scrape-time SQL
 * uses the partial indexes of the relay and the reconciler, so a scrape costs two index scans.
 */
export function registerServiceMetrics(registry: Registry, sources: ServiceMetricSources): void {
  const { database } = sources;
  const gauge = (name: string, help: string, collect: (g: Gauge) => Promise<void> | void) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        await collect(this);
      },
    });

  // Read first: prom-client collects every series at once, and the SQL series below borrow
  // connections from this very pool.
  const pool = database.pool;
  if (pool) {
    gauge("vcs_db_pool_connections_in_use", "Pool connections checked out", (g) => g.set(pool.totalCount - pool.idleCount));
    gauge("vcs_db_pool_connections_idle", "Pool connections open and idle", (g) => g.set(pool.idleCount));
    gauge("vcs_db_pool_waiting_requests", "Queries waiting for a free pool connection", (g) => g.set(pool.waitingCount));
  }

  gauge("vcs_outbox_backlog_events", "Outbox rows committed but not yet published", async (g) => {
    g.set(await scalar(database, "select count(*)::float8 as v from virtual_care_outbox where published_at is null"));
  });
  // Both times from the database's clock (created_at defaults to now()): a replica whose clock is
  // off cannot make the age negative or inflate it (issue 20 item 13).
  gauge("vcs_outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox row (0 when none): the publish lag", async (g) => {
    g.set(await scalar(database, "select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as v from virtual_care_outbox where published_at is null"));
  });
  gauge("vcs_encounter_backlog_sessions", "Ended sessions still waiting for their FHIR Encounter (the reconciler's backlog)", async (g) => {
    g.set(await scalar(database, "select count(*)::float8 as v from virtual_sessions where status = 'ended' and encounter_id is null"));
  });
  gauge("vcs_relay_leader", "1 while this replica leads the outbox relay", (g) => g.set(sources.relayLeader?.() ? 1 : 0));
  gauge("vcs_nats_connected", "1 while the NATS connection is up (always 0 without NATS_URL)", (g) => g.set(sources.natsConnected?.() ? 1 : 0));
}

/**
 * A scrape must not fail because the database is down: the gauge then reads -1. Counts over every
 * tenant: a system path (the system connections; docs/security.md).
 */
async function scalar(database: Database, sql: string): Promise<number> {
  try {
    const rows = (await database.system.execute(sql)) as unknown as { rows: Array<{ v: number }> };
    return Number(rows.rows[0]?.v ?? 0);
  } catch {
    return -1;
  }
}

/**
 * Every async method of `target` timed and counted by outcome, as
 * `vcs_external_call_duration_seconds{target, operation, outcome}`: FHIR, the AI gateway and the
 * video health checks answer "is the dependency slow or failing?" without touching the adapters.
 */
export function instrumented<T extends object>(target: T, name: string, histogram: Histogram<"target" | "operation" | "outcome">): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return async (...args: unknown[]) => {
        const end = histogram.startTimer({ target: name, operation: prop });
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          // A health check answers "unhealthy" rather than throwing: that is its outcome.
          const unhealthy = typeof result === "object" && result !== null && (result as { healthy?: unknown }).healthy === false;
          end({ outcome: unhealthy ? "unhealthy" : "ok" });
          return result;
        } catch (err) {
          end({ outcome: "error" });
          throw err;
        }
      };
    },
  });
}

export function externalCallHistogram(registry: Registry): Histogram<"target" | "operation" | "outcome"> {
  return new Histogram({
    name: "vcs_external_call_duration_seconds",
    help: "Calls to FHIR, the AI gateway and video health URLs, by target, operation and outcome",
    labelNames: ["target", "operation", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
}
