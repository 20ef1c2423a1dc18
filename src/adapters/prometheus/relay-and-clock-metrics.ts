import { Counter, Gauge, type Registry } from "prom-client";

/**
 * `vcs_outbox_publish_failures_total{stream, type}`: every publish the broker refused or did not
 * acknowledge. Labels are the stream and the event type, a closed catalog (docs/asyncapi.yaml):
 * never a tenant, session or event id, so the series stay few and carry no patient data.
 */
export function publishFailureCounter(registry: Registry): (stream: string, type: string) => void {
  const counter = new Counter({
    name: "vcs_outbox_publish_failures_total",
    help: "Outbox events the broker refused or did not acknowledge, by stream and event type (each retry counts)",
    labelNames: ["stream", "type"] as const,
    registers: [registry],
  });
  return (stream, type) => counter.inc({ stream, type });
}

/**
 * `vcs_clock_skew_seconds`: this replica's clock minus the database's, measured at scrape time
 * (positive: ahead). Left at its last value when the database does not answer.
 */
/** The longest a scrape waits for the database's clock. */
const SCRAPE_SAMPLE_MS = 500;

export function registerClockSkewGauge(registry: Registry, sample: () => Promise<number>): void {
  new Gauge({
    name: "vcs_clock_skew_seconds",
    help: "This replica's clock minus the database's clock, in seconds (positive: ahead), measured at scrape time",
    registers: [registry],
    async collect() {
      // Bounded: a slow or silent database must not stall the scrape (and lose every other metric
      // exactly when they are needed); the gauge then keeps its last value.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("late")), SCRAPE_SAMPLE_MS)));
      try {
        this.set(await Promise.race([sample(), late]));
      } catch {
        // The database is down or slow: vcs_nats_connected, readiness and the pool gauges say so.
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
