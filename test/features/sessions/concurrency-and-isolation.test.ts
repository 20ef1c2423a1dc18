import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

describe("optimistic lock and tenant isolation (PostgreSQL)", () => {
  let app: TestApp;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "tenant-a", { maxParticipants: 50 });
    await configureTenant(app, "tenant-b", { maxParticipants: 50 });
    mine = await staffToken("tenant-a", ["clinician", "scheduler", "admin"]);
    theirs = await staffToken("tenant-b", ["clinician", "scheduler", "admin"]);
  });
  afterAll(() => app.close());

  const newSession = async (token = mine) => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody() });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; version: number; participants: Array<{ id: string }> };
  };

  it("when 20 mutations are sent at once with the same If-Match, then exactly one succeeds and the rest answer 409", async () => {
    const s = await newSession();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.request({
          method: "POST",
          url: `/v1/sessions/${s.id}/participants`,
          token: mine,
          headers: { "if-match": '"1"' },
          body: { role: "guest", displayName: `Guest ${i}` },
        }),
      ),
    );
    const ok = results.filter((r) => r.statusCode === 201);
    const conflicts = results.filter((r) => r.statusCode === 409);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const c of conflicts) expect(c.json()).toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", currentVersion: 2 });
    const detail = (await app.request({ method: "GET", url: `/v1/sessions/${s.id}`, token: mine })).json();
    expect(detail.version).toBe(2);
    expect(detail.participants).toHaveLength(3);
  });

  it("when concurrent mutations carry no If-Match, then a change that wins first makes the others 409, and nothing is lost silently", async () => {
    const s = await newSession();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants`, token: mine, body: { role: "guest", displayName: `G${i}` } }),
      ),
    );
    const ok = results.filter((r) => r.statusCode === 201).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.statusCode === 201 || (r.statusCode === 409 && r.json().code === "OPTIMISTIC_LOCK_CONFLICT"))).toBe(true);
    const detail = (await app.request({ method: "GET", url: `/v1/sessions/${s.id}`, token: mine })).json();
    // Every answered 201 is in the session, and the version counts exactly those changes.
    expect(detail.participants).toHaveLength(2 + ok);
    expect(detail.version).toBe(1 + ok);
  });

  it("when participants are added while the session is read again and again, then every detail and list answer shows the participants of the version it reports", async () => {
    const s = await newSession();
    let adding = true;
    const writer = (async () => {
      let version = 1;
      for (let i = 0; i < 12; i++) {
        const res = await app.request({
          method: "POST",
          url: `/v1/sessions/${s.id}/participants`,
          token: mine,
          headers: { "if-match": `"${version}"` },
          body: { role: "guest", displayName: `Reader race ${i}` },
        });
        expect(res.statusCode).toBe(201);
        version += 1;
      }
      adding = false;
    })();
    const seen: Array<{ version: number; participants: number; etag?: string }> = [];
    while (adding) {
      const [detail, list] = await Promise.all([
        app.request({ method: "GET", url: `/v1/sessions/${s.id}`, token: mine }),
        app.request({ method: "GET", url: "/v1/sessions?limit=50", token: mine }),
      ]);
      const d = detail.json();
      seen.push({ version: d.version, participants: d.participants.length, etag: detail.headers.etag as string | undefined });
      const item = list.json().items.find((x: { id: string }) => x.id === s.id);
      if (item) seen.push({ version: item.version, participants: item.participants.length });
    }
    await writer;
    expect(seen.length).toBeGreaterThan(10);
    // Each add is one version and one participant: a version paired with another version's
    // participants would break this.
    for (const v of seen) {
      expect(v.participants).toBe(v.version + 1);
      if (v.etag !== undefined) expect(v.etag).toBe(`"${v.version}"`);
    }
  });

  it("when If-Match is stale, then 409 with the current version; when it is current, the change applies and the ETag moves", async () => {
    const s = await newSession();
    const stale = await app.request({
      method: "POST",
      url: `/v1/sessions/${s.id}/cancel`,
      token: mine,
      headers: { "if-match": '"7"' },
      body: { reason: "r" },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", currentVersion: 1 });
    const fresh = await app.request({
      method: "POST",
      url: `/v1/sessions/${s.id}/cancel`,
      token: mine,
      headers: { "if-match": '"1"' },
      body: { reason: "r" },
    });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers.etag).toBe('"2"');
  });

  it("when If-Match is not a version, then 400", async () => {
    const s = await newSession();
    const res = await app.request({
      method: "POST",
      url: `/v1/sessions/${s.id}/cancel`,
      token: mine,
      headers: { "if-match": "banana" },
      body: { reason: "r" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
  });

  it("when another tenant's staff use a session id, then every route answers 404 and nothing changes", async () => {
    const s = await newSession();
    const calls: Array<{ method: "GET" | "POST"; url: string; body?: unknown }> = [
      { method: "GET", url: `/v1/sessions/${s.id}` },
      { method: "GET", url: `/v1/sessions/${s.id}/participants` },
      { method: "POST", url: `/v1/sessions/${s.id}/participants`, body: { role: "guest", displayName: "Eve" } },
      { method: "POST", url: `/v1/sessions/${s.id}/cancel`, body: { reason: "x" } },
      { method: "POST", url: `/v1/sessions/${s.id}/fallback`, body: { reason: "x" } },
      { method: "POST", url: `/v1/sessions/${s.id}/end` },
    ];
    for (const call of calls) {
      const res = await app.request({ ...call, token: theirs });
      expect(res.statusCode, `${call.method} ${call.url}`).toBe(404);
      expect(res.json().code).toBe("NOT_FOUND");
    }
    const list = (await app.request({ method: "GET", url: "/v1/sessions?limit=100", token: theirs })).json();
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(s.id);
    const detail = (await app.request({ method: "GET", url: `/v1/sessions/${s.id}`, token: mine })).json();
    expect(detail).toMatchObject({ status: "scheduled", version: 1 });
    expect(detail.participants).toHaveLength(2);
  });

  it("when the id is not a UUID or does not exist, then 400 or 404 — never 500", async () => {
    expect((await app.request({ method: "GET", url: "/v1/sessions/not-a-uuid", token: mine })).statusCode).toBe(400);
    const missing = await app.request({ method: "GET", url: "/v1/sessions/00000000-0000-4000-8000-000000000000", token: mine });
    expect(missing.statusCode).toBe(404);
  });

  it("when a refused cross-tenant read happens, then it is audited as denied for the caller's tenant", async () => {
    const s = await newSession();
    await app.request({ method: "GET", url: `/v1/sessions/${s.id}`, token: theirs });
    const { rows } = await app.owner.query(
      "select data from virtual_care_outbox where type = 'audit.virtualcare.session.read' and tenant_id = 'tenant-b' and data->'targets'->>'sessionId' = $1",
      [s.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].data).toMatchObject({ outcome: "denied", reason: "NOT_FOUND", actor: { kind: "staff" } });
  });
});
