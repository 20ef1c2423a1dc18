import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually, PrivateNats, StreamReader } from "../support/nats.js";

describe("NATS down for a while (own nats-server, PostgreSQL)", () => {
  let nats: PrivateNats;
  let app: TestApp;
  const tenant = `outage-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    app = await bootApp({ env: { NATS_URL: nats.url, RELAY_POLL_INTERVAL_MS: "200" } });
    await configureTenant(app, tenant);
  });
  afterAll(async () => {
    await app?.close();
    await nats?.destroy();
  });

  const pending = async () =>
    (
      await app.owner.query("select count(*)::int as n from virtual_care_outbox where published_at is null")
    ).rows[0].n as number;

  it("when NATS stops, then the API keeps accepting writes, and when it returns the backlog drains with nothing lost or doubled", async () => {
    const scheduler = await staffToken(tenant, ["scheduler"]);
    const create = async (i: number) => {
      const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ appointmentId: `appt-${i}` }) });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const before = await create(0);
    await eventually("the first event to be relayed", async () => (await pending()) === 0);

    await nats.stop("SIGKILL");
    const during: string[] = [];
    for (let i = 1; i <= 20; i++) during.push(await create(i));
    const cancel = await app.request({ method: "POST", url: `/v1/sessions/${before}/cancel`, token: scheduler, body: { reason: "clinic closed" } });
    expect(cancel.statusCode).toBe(200);
    // Still durable in the outbox while NATS is away (nothing could have been published).
    expect(await pending()).toBeGreaterThanOrEqual(2 * 21);

    await nats.start();
    await eventually("the backlog to drain", async () => (await pending()) === 0, 60_000, 200);

    const committed = (await app.owner.query("select id, type from virtual_care_outbox where tenant_id = $1", [tenant])).rows as Array<{ id: string; type: string }>;
    const stored = await readAll(nats.url);
    const ours = stored.filter((r) => r.event.tenantid === tenant);
    const ids = ours.map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(committed.map((c) => c.id).sort());
    const created = ours.filter((r) => r.subject === "virtualcare.session.created.v1").map((r) => r.event.data.sessionId);
    expect([...created].sort()).toEqual([before, ...during].sort());
    expect(ours.filter((r) => r.subject === "virtualcare.session.cancelled.v1").map((r) => r.event.data)).toEqual([
      { sessionId: before, reason: "clinic closed", participants: [expect.objectContaining({ role: "patient" }), expect.objectContaining({ role: "clinician" })] },
    ]);
  });
});

/** Everything in both streams of the private server (it holds nothing but this suite's events). */
async function readAll(url: string) {
  const out = [];
  for (const name of ["VIRTUAL_CARE", "AUDIT"]) {
    const reader = await StreamReader.from(url, name, 1);
    out.push(...(await reader.read()));
    await reader.close();
  }
  return out;
}
