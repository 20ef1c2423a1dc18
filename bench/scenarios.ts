import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type pg from "pg";
import type { HttpRequest } from "./load.js";
import { seededSession, tenantId, type SeedSize } from "./seed.js";
import * as sql from "./statements.js";
import { auditRead, auditRowValues, inTenant } from "./tenant-tx.js";
import { statusScenario, validateScenario } from "./join-scenarios.js";
import { leastCreate, leastDetail, leastList } from "./least-work.js";

/** The keys of the bench's last line, in its order; a key without a scenario prints `n/a`. */
export const SCENARIO_KEYS = ["create", "detail", "list", "status", "validate"] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

export interface BenchContext {
  size: SeedSize;
  /** A scheduler's bearer token per tenant. */
  tokens: Map<string, string>;
  /** Join tokens of the seed's waiting patients (join-scenarios.ts). */
  joinTokens: string[];
}

/** What a limit route gets: the parsed request and the tenant the service would take from the JWT. */
export interface LimitRequest {
  tenantId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** Leave out the read's audit INSERT: only to measure the audit's share, never the limit itself. */
  skipAudit: boolean;
  /** Connections with `app.system=on`, as the service's audit writer has (row-level security's system path). */
  system: pg.Pool;
}

/**
 * One scenario: the request the load generator sends (to the service and, unchanged, to the
 * limit server), and the limit: a bare route sending the service route's SQL on raw `pg`.
 * `x-bench-tenant` tells the bare route the tenant the service reads from the token.
 */
export interface Scenario {
  key: ScenarioKey;
  name: string;
  request(ctx: BenchContext): HttpRequest;
  limit: { method: "GET" | "POST"; url: string; status?: number; handle(pool: pg.Pool, req: LimitRequest): Promise<unknown> };
  /** The same statements as a pgbench script, for a limit without any Node in the way. */
  pgbench?: string;
  /** The least-work limit's route (bench/least-work.ts): one statement for the same effect. */
  least: (pool: pg.Pool, req: LimitRequest) => Promise<unknown>;
  /** Also measure p99 with the service driven at half its peak throughput (issue 6: status). */
  p99AtHalfPeak?: boolean;
  /** A read of patient data: audited with one INSERT per request, whose share the bench reports. */
  auditedRead?: boolean;
}

function staffRequest(ctx: BenchContext, tenant: string, method: HttpRequest["method"], path: string, body?: unknown): HttpRequest {
  const headers: Record<string, string> = { authorization: `Bearer ${ctx.tokens.get(tenant)}`, "x-bench-tenant": tenant };
  if (body !== undefined) headers["content-type"] = "application/json";
  return { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) };
}

const randomTenant = (ctx: BenchContext) => tenantId(randomInt(ctx.size.tenants));

/** The config version each tenant's first create read (the service remembers it per process too). */
const configVersions = new Map<string, number>();

export const createScenario: Scenario = {
  key: "create",
  name: "create session",
  request: (ctx) => {
    const start = new Date(Date.UTC(2027, 0, 1) + randomInt(500_000) * 60_000);
    return staffRequest(ctx, randomTenant(ctx), "POST", "/v1/sessions", {
      patientId: `patient-${randomInt(5000)}`,
      providerId: `dr-${randomInt(200)}`,
      scheduledStart: start.toISOString(),
      scheduledEnd: new Date(start.getTime() + 30 * 60_000).toISOString(),
    });
  },
  limit: {
    method: "POST",
    url: "/v1/sessions",
    status: 201,
    handle: async (pool, req) => {
      const t = req.tenantId;
      const b = req.body as { patientId: string; providerId: string; scheduledStart: string; scheduledEnd: string };
      // As the service: the config is read once per tenant and process, then its version is checked in the write.
      let version = configVersions.get(t);
      if (version === undefined) {
        const { rows } = await inTenant(pool, t, "read only", (c) => c.query({ name: sql.PREPARED.tenantConfig, text: sql.SELECT_TENANT_CONFIG, values: [t], rowMode: "array" }), true);
        if (rows.length === 0) throw new Error("tenant not licensed");
        version = (rows[0] as unknown[])[0] as number;
        configVersions.set(t, version);
      }
      const id = randomUUID();
      const now = new Date();
      const start = new Date(b.scheduledStart);
      const end = new Date(b.scheduledEnd);
      const room = `vc-${randomBytes(20).toString("hex")}`;
      const people = [randomUUID(), randomUUID()];
      await inTenant(pool, t, "read write", async (client) => {
        // Not awaited, as the service's repositories: they leave with the outbox rows and the COMMIT.
        const guarded = client.query({ name: sql.PREPARED.tenantConfigGuard, text: sql.ASSERT_TENANT_CONFIG }, [t, version]);
        const inserted = client.query({ name: sql.PREPARED.sessionInsert2, text: sql.INSERT_SESSION_WITH_TWO }, [
          id, t, "scheduled", b.patientId, b.providerId, null, start, end, "primary", "jitsi", "primary.meet.example.org", room, null, null, null, null, null, now, now, 1,
          people[0], id, t, 0, "patient", "Patient", b.patientId, "invited", null, null, null, null, null, null, null,
          people[1], id, t, 1, "clinician", "Clinician", b.providerId, "invited", null, null, null, null, null, null, null,
        ]);
        const created = { sessionId: id, patientId: b.patientId, providerId: b.providerId, appointmentId: null, scheduledStart: b.scheduledStart, scheduledEnd: b.scheduledEnd, videoBackend: "primary" };
        const audit = { actor: { kind: "staff", id: "bench-user" }, tenantId: t, action: "session.create", targets: { sessionId: id }, outcome: "success", time: now.toISOString() };
        const written = client.query({ name: sql.PREPARED.outboxInsert2, text: sql.INSERT_OUTBOX_2 }, [
          randomUUID(), t, "session", id, "virtualcare.session.created.v1", created, now, null, t, "virtualcare.session.created.v1",
          randomUUID(), t, "audit", id, "audit.virtualcare.session.create", audit, now, null, false,
        ]);
        await Promise.all([guarded, inserted, written]);
      });
      return { id, tenantId: t, status: "scheduled", ...b, video: { backend: "primary", roomName: room }, version: 1, participants: people };
    },
  },
  pgbench: createPgbenchScript(),
  least: leastCreate,
};

export const detailScenario: Scenario = {
  key: "detail",
  name: "session detail",
  auditedRead: true,
  request: (ctx) => {
    const s = seededSession(1 + randomInt(ctx.size.sessions), ctx.size);
    return staffRequest(ctx, s.tenantId, "GET", `/v1/sessions/${s.id}`);
  },
  limit: {
    method: "GET",
    url: "/v1/sessions/:id",
    handle: async (pool, req) => {
      const id = req.params.id ?? "";
      if (req.skipAudit) {
        const { rows } = await inTenant(pool, req.tenantId, "read only", (c) => c.query({ name: sql.PREPARED.sessionById, text: sql.SELECT_SESSION_READ, values: [id, req.tenantId], rowMode: "array" }), true);
        if (rows.length === 0) throw new Error("not found");
        return { session: rows[0] };
      }
      // The read with its audit row, as the service sends it since issue 23: one statement.
      const values = [id, req.tenantId, ...auditRowValues(req.tenantId, "session.read", { sessionId: id })];
      const { rows } = await inTenant(pool, req.tenantId, "read write", (c) => c.query({ name: sql.PREPARED.sessionByIdAudited, text: sql.SELECT_SESSION_READ_AUDITED, values, rowMode: "array" }), true);
      if (rows.length === 0) throw new Error("not found");
      return { session: rows[0] };
    },
  },
  least: leastDetail,
};

export const listScenario: Scenario = {
  key: "list",
  name: "session list (limit=20)",
  auditedRead: true,
  request: (ctx) => staffRequest(ctx, randomTenant(ctx), "GET", "/v1/sessions?limit=20"),
  limit: {
    method: "GET",
    url: "/v1/sessions",
    handle: async (pool, req) => {
      const limit = Number(req.query.limit ?? 20);
      const { rows } = await inTenant(pool, req.tenantId, "read only", (c) => c.query({ name: sql.PREPARED.firstPage, text: sql.SELECT_SESSION_PAGE, values: [req.tenantId, limit + 1], rowMode: "array" }), true);
      if (!req.skipAudit) await auditRead(req.system, req.tenantId, "session.list", {});
      return { items: (rows as unknown[][]).slice(0, limit), nextCursor: null };
    },
  },
  least: leastList,
};

/** In the order they run: reads first on the seeded table, create last (it adds rows). */
export const scenarios: Scenario[] = [detailScenario, listScenario, statusScenario, validateScenario, createScenario];

/**
 * The create route's statements for pgbench (`-M extended`, so variables travel as parameters).
 * pgbench has no UUID or string functions, so ids are md5 of random numbers and the tenant name
 * is assembled in SQL; the statements, columns and row counts are the service's.
 */
function createPgbenchScript(): string {
  const uuid = (suffix: string) => `md5(:r1::text || '-' || :r2::text || '-' || :client_id::text || '${suffix}')::uuid`;
  const tenant = `'bench-tenant-' || lpad(:t::text, 3, '0')`;
  const session = uuid("");
  return [
    `\\set t random(0, 99)`,
    `\\set r1 random(0, 2000000000)`,
    `\\set r2 random(0, 2000000000)`,
    `\\set p random(0, 4999)`,
    // The service checks the config version it remembers inside the write (the seed's configs are at version 1).
    `begin;`,
    `select virtual_care_assert_tenant_config(${tenant}, 1);`,
    // The session with its participants in one statement, as the service inserts them.
    `with "first_insert" as (insert into "virtual_sessions" ("id", "tenant_id", "status", "patient_id", "provider_id", "appointment_id", "scheduled_start", "scheduled_end", "video_backend", "video_provider", "video_domain", "room_name", "encounter_id", "encounter_lease_until", "cancel_reason", "fallback", "started_at", "ended_at", "created_at", "updated_at", "version") values (${session}, ${tenant}, 'scheduled', 'patient-' || :p, 'dr-1', null, now() + interval '400 days', now() + interval '400 days 30 minutes', 'primary', 'jitsi', 'primary.meet.example.org', 'vc-' || md5(:r1::text) || md5(:r2::text), null, default, null, null, null, null, now(), now(), 1)) insert into "session_participants" ("id", "session_id", "tenant_id", "position", "role", "display_name", "external_id", "status", "waiting_since", "admitted_at", "removed_at", "precall_kbps", "precall_below_threshold", "precall_checked_at") values (${uuid("p0")}, ${session}, ${tenant}, 0, 'patient', 'Patient', 'patient-' || :p, 'invited', null, null, null, null, null, null), (${uuid("p1")}, ${session}, ${tenant}, 1, 'clinician', 'Clinician', 'dr-1', 'invited', null, null, null, null, null, null);`,
    // The event and the audit row in one INSERT, as the service flushes them before its commit.
    `insert into "virtual_care_outbox" ("id", "seq", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "published_at", "attempts", "last_error") values (${uuid("e")}, default, ${tenant}, 'session', ${session}::text, 'virtualcare.session.created.v1', ('{"sessionId": "' || ${session}::text || '", "patientId": "patient-' || :p || '", "providerId": "dr-1", "appointmentId": null, "scheduledStart": "2027-01-01T10:00:00.000Z", "scheduledEnd": "2027-01-01T10:30:00.000Z", "videoBackend": "primary"}')::jsonb, now(), default, default, default), ` +
      `(${uuid("a")}, default, ${tenant}, 'audit', ${session}::text, 'audit.virtualcare.session.create', ('{"time": "2026-11-27T09:23:30.267Z", "actor": {"id": "bench-user", "kind": "staff"}, "action": "session.create", "outcome": "success", "targets": {"sessionId": "' || ${session}::text || '"}, "tenantId": "bench-tenant"}')::jsonb, now(), default, default, default) on conflict ("id") do nothing;`,
    `commit;`,
    "",
  ].join("\n");
}
