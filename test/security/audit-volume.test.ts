import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, ManualClock, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { sql } from "../support/join.js";
import { eventually, PrivateNats } from "../support/nats.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/** Issue 11, defect 5: audit and outbox volume an attacker (or a polling client) can cause. */
describe("audit volume and retention (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "vol");
  });
  afterAll(() => app.close());

  const denials = async () => Number((await sql<{ n: string }>(app, "select count(*) n from virtual_care_outbox where type = 'audit.virtualcare.auth.authenticate'"))[0]!.n);

  it("200 requests with a garbage bearer write one audit row, and one summary with the count when the window closes", async () => {
    const before = await denials();
    for (let i = 0; i < 200; i++) {
      const res = await app.request({ method: "GET", url: "/v1/sessions", token: `garbage-${i}` });
      expect(res.statusCode).toBe(401);
    }
    expect((await denials()) - before).toBe(1);
    await app.service.app.close(); // closing flushes the window
    const rows = await sql<{ data: Record<string, unknown> }>(
      app,
      "select data from virtual_care_outbox where type = 'audit.virtualcare.auth.authenticate' order by seq",
    );
    expect(JSON.stringify(rows.at(-1)!.data)).toContain('"repeated":"199"');
    expect(JSON.stringify(rows.at(-1)!.data)).toContain('"source":"127.0.0.1"');
  });
});

describe("rejoin audit and outbox purge (PostgreSQL)", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
  beforeAll(async () => {
    app = await bootApp({ clock });
    await configureTenant(app, "vol2", { waitingRoomEnabled: false });
  });
  afterAll(() => app.close());

  it("an admitted participant polling status 30 times is audited once per window", async () => {
    const scheduler = await staffToken("vol2", ["scheduler"]);
    const session = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody() })).json();
    const pid = session.participants[0].id;
    const token = (await app.request({ method: "POST", url: `/v1/sessions/${session.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token } });
    for (let i = 0; i < 30; i++) {
      const res = await app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } });
      expect(res.json().videoJoinUrl).toBeTruthy();
    }
    const count = async () => Number((await sql<{ n: string }>(app, "select count(*) n from virtual_care_outbox where type = 'audit.virtualcare.join.rejoin' and aggregate_id = $1 or (type = 'audit.virtualcare.join.rejoin' and data::text like $2)", [session.id, `%${pid}%`]))[0]!.n);
    expect(await count()).toBe(1);
    clock.advance(11 * 60_000);
    await app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": token } });
    expect(await count()).toBe(2);
  });

  it("published outbox rows older than the retention are purged; unpublished ones stay", async () => {
    await eventually("the dev relay to publish", async () => Number((await sql<{ n: string }>(app, "select count(*) n from virtual_care_outbox where published_at is null"))[0]!.n) === 0);
    await sql(app, "update virtual_care_outbox set published_at = now() - interval '10 days'");
    const keep = randomUUID();
    await sql(app, "insert into virtual_care_outbox (id, tenant_id, aggregate_type, aggregate_id, type, data, occurred_at, published_at) select $1, tenant_id, aggregate_type, aggregate_id, type, data, occurred_at, null from virtual_care_outbox limit 1", [keep]);
    const { deleted } = await app.service.workers.outboxPurge.runOnce();
    expect(deleted).toBeGreaterThan(0);
    const left = await sql<{ id: string }>(app, "select id from virtual_care_outbox");
    expect(left.map((r) => r.id)).toEqual([keep]);
  });
});

describe("stream retention (own nats-server)", () => {
  it("VIRTUAL_CARE and AUDIT are created with explicit age and size limits", async () => {
    const nats = await PrivateNats.start();
    const app = await bootApp({ env: { NATS_URL: nats.url } });
    await configureTenant(app, "streams"); // an event and an audit record to relay
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (const name of ["VIRTUAL_CARE", "AUDIT"]) {
        const info = await eventually(`stream ${name}`, () => jsm.streams.info(name).catch(() => undefined));
        expect(info.config.max_age, name).toBeGreaterThan(0);
        expect(info.config.max_bytes, name).toBeGreaterThan(0);
      }
    } finally {
      await nc.close();
      await app.close();
      await nats.destroy();
    }
  });
});
