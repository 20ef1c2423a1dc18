import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

describe("Idempotency-Key on create, and the session list (PostgreSQL)", () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "idem");
    await configureTenant(app, "lister");
    token = await staffToken("idem", ["scheduler"]);
  });
  afterAll(() => app.close());

  const count = async (tenant: string) =>
    Number((await app.owner.query("select count(*) from virtual_sessions where tenant_id = $1", [tenant])).rows[0].count);

  it("when a create is retried with the same Idempotency-Key, then the first answer comes back and one session exists", async () => {
    const send = () =>
      app.request({ method: "POST", url: "/v1/sessions", token, headers: { "idempotency-key": "key-1" }, body: sessionBody() });
    const first = await send();
    const second = await send();
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(await count("idem")).toBe(1);
  });

  it("when the same key is sent concurrently, then one session is created and every answer is that session", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.request({ method: "POST", url: "/v1/sessions", token, headers: { "idempotency-key": "key-race" }, body: sessionBody({ patientId: "race" }) }),
      ),
    );
    const ids = new Set(results.map((r) => r.json().id));
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    expect(ids.size).toBe(1);
  });

  it("when a key is reused for a different request, then 422 IDEMPOTENCY_KEY_REUSED and nothing is created", async () => {
    const before = await count("idem");
    const res = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token,
      headers: { "idempotency-key": "key-1" },
      body: sessionBody({ patientId: "someone-else" }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await count("idem")).toBe(before);
  });

  it("when another tenant uses the same key, then it is a different request of its own", async () => {
    await configureTenant(app, "idem-2");
    const res = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token: await staffToken("idem-2", ["scheduler"]),
      headers: { "idempotency-key": "key-1" },
      body: sessionBody(),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().tenantId).toBe("idem-2");
  });

  it("when listing, then pages follow newest scheduledStart first without gaps or repeats, and filters apply", async () => {
    const t = await staffToken("lister", ["clinician", "scheduler"]);
    const made: Array<{ id: string; start: string }> = [];
    for (let i = 0; i < 25; i++) {
      // Pairs share a start time so the id tie-breaker is exercised.
      const start = new Date(Date.UTC(2026, 11, 1, 8 + Math.floor(i / 2))).toISOString();
      const res = await app.request({
        method: "POST",
        url: "/v1/sessions",
        token: t,
        body: sessionBody({ patientId: i % 5 === 0 ? "pat-x" : `pat-${i}`, providerId: i % 2 ? "dr-odd" : "dr-even", scheduledStart: start, scheduledEnd: undefined }),
      });
      made.push({ id: res.json().id, start });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/sessions?limit=10${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await app.request({ method: "GET", url, token: t })).json();
      seen.push(...page.items.map((s: { id: string }) => s.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
    const expectedOrder = [...made].sort((a, b) => (a.start === b.start ? (a.id < b.id ? 1 : -1) : a.start < b.start ? 1 : -1)).map((m) => m.id);
    expect(seen).toEqual(expectedOrder);

    const byPatient = (await app.request({ method: "GET", url: "/v1/sessions?patientId=pat-x", token: t })).json();
    expect(byPatient.items).toHaveLength(5);
    const byProviderAndWindow = (
      await app.request({
        method: "GET",
        url: `/v1/sessions?providerId=dr-odd&from=${encodeURIComponent("2026-12-01T10:00:00Z")}&to=${encodeURIComponent("2026-12-01T14:00:00Z")}`,
        token: t,
      })
    ).json();
    expect(byProviderAndWindow.items.every((s: { providerId: string; scheduledStart: string }) => s.providerId === "dr-odd" && s.scheduledStart >= "2026-12-01T10:00" && s.scheduledStart < "2026-12-01T14:00")).toBe(true);
    expect(byProviderAndWindow.items).toHaveLength(4);

    await app.request({ method: "POST", url: `/v1/sessions/${made[0]!.id}/cancel`, token: t, body: { reason: "r" } });
    const cancelled = (await app.request({ method: "GET", url: "/v1/sessions?status=cancelled", token: t })).json();
    expect(cancelled.items.map((s: { id: string }) => s.id)).toEqual([made[0]!.id]);
    const both = (await app.request({ method: "GET", url: "/v1/sessions?status=cancelled&status=scheduled&limit=100", token: t })).json();
    expect(both.items).toHaveLength(25);
  });

  it("when list parameters are out of range or the cursor is forged, then 400 VALIDATION_FAILED", async () => {
    const t = await staffToken("lister", ["scheduler"]);
    for (const q of ["limit=0", "limit=101", "status=paused", "from=yesterday", "cursor=bm90LWEtY3Vyc29y"]) {
      const res = await app.request({ method: "GET", url: `/v1/sessions?${q}`, token: t });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
    }
  });
});
