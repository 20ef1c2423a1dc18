import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { OutboxLoad } from "../support/outbox-load.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const OUTAGE_MS = Number(process.env.OPS_OUTAGE_MS ?? 8000);
// The relay's cap for database failures is 1 s; what a loaded machine may add to a round.
const RESUME_BOUND_MS = 1000 + 1500;

interface LogLine {
  time: number;
  component?: string;
  msg: string;
  retryInMs?: number;
  eventId?: string;
}

describe("outbox relay through a database outage (in-process service, dev sink, database behind a TCP proxy)", () => {
  let proxy: TcpProxy;
  let app: TestApp;
  let load: OutboxLoad;
  const lines: LogLine[] = [];
  const tenant = `relay-db-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    proxy = new TcpProxy("127.0.0.1", 5432);
    await proxy.start();
    app = await bootApp({
      routeDatabase: (url) => proxy.proxiedUrl(url),
      logStream: { write: (line) => void lines.push(JSON.parse(line) as LogLine) },
      // The webhook dispatcher polls too (and backs off on its own, 250 ms to 5 s): idle for the
      // whole test, so the connection attempts counted through the proxy are the relay's.
      env: { LOG_LEVEL: "info", RELAY_POLL_INTERVAL_MS: "200", DB_CONNECT_TIMEOUT_MS: "1000", WEBHOOK_POLL_INTERVAL_MS: "60000" },
    });
    // The test writes around the proxy, straight to the database, while the service cannot reach it.
    load = await OutboxLoad.open(app.db!.url);
  });
  afterAll(async () => {
    proxy?.restore();
    await load?.close();
    await app?.close();
    await proxy?.stop();
  });

  it("when the database is down for a while, then the relay retries at most about once a second, and resumes within about a second of its return", async () => {
    await load.write(tenant, 1, 1);
    await eventually("the relay to publish before the outage", async () => (await load.pending(tenant)) === 0, 20_000, 50);

    const downAt = Date.now();
    proxy.down();
    const connectionsBefore = proxy.accepted;
    // Fixed on purpose: the outage's length is what the retries are counted over.
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    await load.write(tenant, 1, 1); // committed while the relay cannot see it
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    const attempts = proxy.accepted - connectionsBefore;
    const backAt = Date.now();
    proxy.restore();

    await eventually("the backlog to be published", async () => (await load.pending(tenant)) === 0, 30_000, 50);
    const ids = await load.committedIds(tenant);
    const resumed = lines.find((l) => l.msg === "event relayed to the dev log sink" && l.time >= downAt && ids.includes(l.eventId!));
    const resumedAfterMs = resumed!.time - backAt;

    // Each retry during the outage waited at most the cap…
    const retries = lines.filter((l) => l.component === "outbox-relay" && l.time >= downAt && l.time <= backAt && l.retryInMs !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    expect(Math.max(...retries.map((l) => l.retryInMs!))).toBeLessThanOrEqual(1000);
    // …without hammering: backoff from 250 ms to a 1 s cap, jittered to 50–100 % of it (backoff.ts),
    // so at most two attempts a second (the relay's own, from its log)…
    expect(retries.length).toBeLessThanOrEqual(2 * (OUTAGE_MS / 1000) + 4);
    // …and the whole service (relay, commit-notes listener, other workers) well under a few
    // connections a second through the proxy; a loop without backoff would open hundreds.
    expect(attempts, `${attempts} connection attempts for ${retries.length} relay retries`).toBeLessThanOrEqual(3 * (OUTAGE_MS / 1000) + 6);
    // …so the relay published within about a second of the database's return.
    expect(resumedAfterMs).toBeLessThan(RESUME_BOUND_MS);
    if (process.env.OPS_FIGURES) console.log(`relay: ${retries.length} retries in ${OUTAGE_MS} ms (${attempts} connection attempts), resumed ${resumedAfterMs} ms after the database returned`);
  });
});
