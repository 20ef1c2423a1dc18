import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../src/platform/ports.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually, freePort } from "../support/nats.js";

/** The host's clock moved by a fixed offset: a replica whose time synchronisation failed. */
class OffsetClock implements Clock {
  constructor(private readonly offsetMs: number) {}
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

const NINETY_MINUTES = 90 * 60_000;

/** Issue 20 item 13: a replica 90 minutes ahead of the database (PostgreSQL's clock is the reference). */
describe("a replica whose clock is 90 minutes ahead of the database's (PostgreSQL)", () => {
  let app: TestApp;
  const lines: string[] = [];
  const tenant = "clock-skew";

  beforeAll(async () => {
    // A broker nobody listens on: the outbox rows stay unpublished, so their age is measurable.
    const deadBroker = `nats://127.0.0.1:${await freePort()}`;
    app = await bootApp({
      clock: new OffsetClock(NINETY_MINUTES),
      env: { NATS_URL: deadBroker, LOG_LEVEL: "warn", CLOCK_SKEW_WARN_SECONDS: "5" },
      logStream: { write: (line) => void lines.push(line) },
    });
    await configureTenant(app, tenant);
  });
  afterAll(async () => {
    await app?.close();
  });

  const gauge = (body: string, name: string) => {
    const line = body.split("\n").find((l) => l.startsWith(`${name} `));
    if (!line) throw new Error(`${name} is not on /metrics`);
    return Number(line.slice(name.length + 1));
  };

  it("when it runs, then /metrics shows the skew against the database's clock and the log says so loudly", async () => {
    const body = (await app.request({ method: "GET", url: "/metrics" })).body;
    const skew = gauge(body, "vcs_clock_skew_seconds");
    expect(skew).toBeGreaterThan(90 * 60 - 60);
    expect(skew).toBeLessThan(90 * 60 + 60);
    const warning = await eventually("the skew warning in the log", () =>
      lines.map((l) => JSON.parse(l) as { level: number; msg: string; skewSeconds?: number }).find((l) => l.msg.includes("clock is ahead of the database's")),
    );
    expect(warning.level).toBeGreaterThanOrEqual(50);
    expect(warning.skewSeconds).toBeGreaterThan(90 * 60 - 60);
  });

  it("when its events wait in the outbox, then their age is measured on the database's clock: never negative, not shifted by the skew", async () => {
    const scheduler = await staffToken(tenant, ["scheduler"]);
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() });
    expect(res.statusCode, res.body).toBe(201);
    const pending = await app.owner.query("select count(*)::int as n from virtual_care_outbox where published_at is null and tenant_id = $1", [tenant]);
    expect(pending.rows[0].n).toBeGreaterThan(0);

    const age = gauge((await app.request({ method: "GET", url: "/metrics" })).body, "vcs_outbox_oldest_unpublished_age_seconds");
    expect(age).toBeGreaterThanOrEqual(0);
    // The rows are as old as this suite (seconds to minutes), not 90 minutes off either way.
    expect(age).toBeLessThan(30 * 60);
  });
});
