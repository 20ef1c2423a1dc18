import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/adapters/postgres/connection/database.js";
import { pgErrorCode } from "../../src/adapters/postgres/connection/database.js";
import { schema, sessions } from "../../src/adapters/postgres/schema.js";
import { inTenant } from "../../src/adapters/postgres/connection/tenant-scope.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { SERVICE_ROLE, suitePool } from "../support/postgres.js";

/** Every table migration 0007_rls protects (and those of 0008, 0009, 0012 and 0013, which came later). */
const TENANT_TABLES = [
  "virtual_sessions",
  "session_participants",
  "tenant_configs",
  "virtual_care_outbox",
  "idempotency_keys",
  "ai_summaries",
  "async_visits",
  "async_visit_attachments",
  "async_visit_attachment_chunks",
  "async_visit_uploads",
  "async_visit_queue",
  "async_visit_replies",
  "link_requests",
  "webhook_deliveries",
  "webhook_endpoint_states",
];

/**
 * Issue 11, defence in depth: the database itself keeps tenants apart, behind the WHERE tenant_id
 * every query has. The service here connects as SERVICE_ROLE (owns nothing, no superuser, no
 * BYPASSRLS), as in production.
 */
describe("row-level security (PostgreSQL, the service's own role)", () => {
  let app: TestApp;
  let db: Db;
  let sessionOfB: string;

  beforeAll(async () => {
    app = await bootApp();
    db = app.service.database.db;
    for (const tenant of ["rls-a", "rls-b"]) {
      await configureTenant(app, tenant);
      const res = await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken(tenant, ["scheduler"]), body: sessionBody() });
      expect(res.statusCode, res.body).toBe(201);
      if (tenant === "rls-b") sessionOfB = res.json().id;
    }
  });
  afterAll(() => app.close());

  const tenantsSeen = async (scope: (work: (tx: Db) => Promise<unknown>) => Promise<unknown>, table: string) => {
    const result = (await scope((tx) => tx.execute(sql.raw(`select distinct tenant_id from ${table}`)))) as { rows: Array<{ tenant_id: string }> };
    return result.rows.map((r) => r.tenant_id).sort();
  };

  it("when a query without any tenant filter runs in tenant A's unit of work, then it returns no row of tenant B, on every tenant table", async () => {
    const seen: Record<string, string[]> = {};
    for (const table of TENANT_TABLES) seen[table] = await tenantsSeen((work) => inTenant(db, "rls-a", work), table);
    for (const table of TENANT_TABLES) expect(seen[table], table).not.toContain("rls-b");
    // Not vacuous: tenant A has rows in these, and the owner sees both tenants.
    for (const table of ["virtual_sessions", "session_participants", "tenant_configs", "virtual_care_outbox"]) {
      expect(seen[table], table).toEqual(["rls-a"]);
      const all = (await app.owner.query(`select distinct tenant_id from ${table}`)).rows.map((r) => r.tenant_id);
      expect(all, table).toEqual(expect.arrayContaining(["rls-a", "rls-b"]));
    }
  });

  it("when tenant A's unit of work asks for tenant B's session by its id and tenant, then it finds nothing", async () => {
    const uow = new PostgresUnitOfWork(db, app.service.clock);
    expect(await uow.run("rls-a", (tx) => tx.sessions.findById("rls-b", sessionOfB))).toBeNull();
    expect(await uow.run("rls-b", (tx) => tx.sessions.findById("rls-b", sessionOfB))).not.toBeNull();
  });

  it("when tenant A's unit of work inserts a row for tenant B or moves its own row to B, then PostgreSQL refuses (42501)", async () => {
    const uow = new PostgresUnitOfWork(db, app.service.clock);
    const event = { type: "virtualcare.session.cancelled.v1" as const, tenantId: "rls-b", aggregateType: "session" as const, aggregateId: sessionOfB, data: { sessionId: sessionOfB } };
    const insert = uow.run("rls-a", (tx) => tx.outbox.add([event]));
    await expect(insert).rejects.toSatisfy((err) => pgErrorCode(err).code === "42501");
    const move = inTenant(db, "rls-a", (tx) => tx.update(sessions).set({ tenantId: "rls-b" }).where(sql`true`));
    await expect(move).rejects.toSatisfy((err) => pgErrorCode(err).code === "42501");
    const count = await app.owner.query("select count(*)::int as n from virtual_care_outbox where data->>'sessionId' = $1 and type = $2", [sessionOfB, event.type]);
    expect(count.rows[0].n).toBe(0);
  });

  it("when the service's pool runs a query outside any unit of work, then it sees no tenant's rows at all", async () => {
    for (const table of TENANT_TABLES) {
      const result = (await db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: Array<{ n: number }> };
      expect(result.rows[0]!.n, table).toBe(0);
    }
  });

  it("when a connection served tenant A, then the next transaction on it starts with no tenant", async () => {
    const one = suitePool(app.db!.serviceUrl, 1);
    try {
      const single = drizzle(one, { schema }) as unknown as Db;
      expect(await tenantsSeen((work) => inTenant(single, "rls-a", work), "virtual_sessions")).toEqual(["rls-a"]);
      expect(await tenantsSeen((work) => single.transaction((tx) => work(tx as unknown as Db)), "virtual_sessions")).toEqual([]);
      expect(await tenantsSeen((work) => work(single), "virtual_sessions")).toEqual([]);
    } finally {
      await one.end();
    }
  });

  it("when the service's role tries to get around the policies, then it cannot: no superuser, no BYPASSRLS, owns nothing, row_security off is an error", async () => {
    const client = new pg.Client({ connectionString: app.db!.serviceUrl });
    await client.connect();
    try {
      const role = await client.query("select current_user as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user");
      expect(role.rows[0]).toEqual({ name: SERVICE_ROLE, rolsuper: false, rolbypassrls: false });
      const owned = await client.query("select count(*)::int as n from pg_tables where schemaname = 'public' and tableowner = current_user");
      expect(owned.rows[0].n).toBe(0);
      for (const table of TENANT_TABLES) {
        const flags = await client.query("select relrowsecurity, relforcerowsecurity from pg_class where relname = $1", [table]);
        expect(flags.rows[0], table).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
      }
      await expect(client.query("alter table virtual_sessions disable row level security")).rejects.toMatchObject({ code: "42501" });
      // Allowed to set, but then any query the policies would filter is an error, never unfiltered.
      await client.query("set row_security = off");
      await expect(client.query("select * from virtual_sessions")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await client.end();
    }
  });

  it("when a system connection reads, then it sees every tenant; the tenant pool's transactions are never system", async () => {
    expect(await tenantsSeen((work) => work(app.service.database.system), "virtual_sessions")).toEqual(["rls-a", "rls-b"]);
    // The system setting is a startup option of the system connections only; nothing on the
    // tenant path sets it (a SQL injection could: docs/security.md says what that leaves).
    const setting = (await inTenant(db, "rls-a", (tx) => tx.execute(sql`select current_setting('app.system', true) as s`))) as unknown as { rows: Array<{ s: string | null }> };
    expect(setting.rows[0]!.s ?? "").toBe("");
  });

  it("when tenant A's staff asks the API for tenant B's session, then 404 (the API path is the same as before)", async () => {
    const res = await app.request({ method: "GET", url: `/v1/sessions/${sessionOfB}`, token: await staffToken("rls-a", ["clinician"]) });
    expect(res.statusCode).toBe(404);
    const own = await app.request({ method: "GET", url: `/v1/sessions/${sessionOfB}`, token: await staffToken("rls-b", ["clinician"]) });
    expect(own.statusCode).toBe(200);
  });
});

describe("row-level security warnings at start", () => {
  it("when the service connects as a superuser, then it starts but warns that row-level security does not protect it", async () => {
    const lines: string[] = [];
    const app = await bootApp({
      env: { LOG_LEVEL: "warn" },
      logStream: { write: (line) => lines.push(line) },
      // The service's URL swapped for the owner's (a superuser here): the mistake the warning is for.
      routeDatabase: (url) => url.replace(`${SERVICE_ROLE}@`, "postgres@"),
    });
    try {
      expect(lines.join("\n")).toMatch(/row-level security does not protect this service: its database role is a superuser/);
    } finally {
      await app.close();
    }
  });

  it("when the service connects as its own role, then there is no such warning", async () => {
    const lines: string[] = [];
    const app = await bootApp({ env: { LOG_LEVEL: "warn" }, logStream: { write: (line) => lines.push(line) } });
    try {
      expect(lines.join("\n")).not.toMatch(/row-level security does not protect/);
    } finally {
      await app.close();
    }
  });
});
