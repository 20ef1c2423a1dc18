/**
 * The second limit, "least work": for each scenario, what a careful DBA would send for the same
 * effect, whatever the service sends today. Every request is ONE statement (data-modifying CTEs
 * where it writes), so one round trip and, where it writes, one commit; no trigger. The read
 * audit stays durable per request: the read and its audit row commit together, as the service
 * promises (a request answers only once its audit row is on disk).
 *
 * Served by bench/limit-server.ts with LEAST=1 (bare Fastify + raw pg, same pool size) and run
 * through pgbench as scripts of the same statements, so both a Node figure and a C-client figure
 * exist for every scenario. See BENCHMARKS.md, "The least-work limit".
 */
import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";
import type { LimitRequest, ScenarioKey } from "./scenarios.js";
import type { SeedSize } from "./seed.js";
import * as same from "./statements.js";

const OUTBOX_COLUMNS = `"id", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at"`;

/** Session, participants and both outbox rows in one statement, guarded by the tenant's licence. */
const CREATE = `with cfg as (select 1 from "tenant_configs" where "tenant_id" = $2),
s as (
  insert into "virtual_sessions" ("id", "tenant_id", "status", "patient_id", "provider_id", "scheduled_start", "scheduled_end",
    "video_backend", "video_provider", "video_domain", "room_name", "created_at", "updated_at", "version")
  select $1, $2, 'scheduled', $3, $4, $5, $6, 'primary', 'jitsi', 'primary.meet.example.org', $7, $14, $14, 1 from cfg
  returning "id", "tenant_id"),
p as (
  insert into "session_participants" ("id", "session_id", "tenant_id", "position", "role", "display_name", "external_id", "status")
  select v.id, s."id", s."tenant_id", v.position, v.role, v.display_name, v.external_id, 'invited'
  from s, (values ($8::uuid, 0, 'patient', 'Patient', $3::text), ($9::uuid, 1, 'clinician', 'Clinician', $4::text)) as v(id, position, role, display_name, external_id)),
o as (
  insert into "virtual_care_outbox" (${OUTBOX_COLUMNS})
  select v.id, s."tenant_id", v.aggregate_type, s."id"::text, v.type, v.data, $14
  from s, (values ($10::uuid, 'session', 'virtualcare.session.created.v1', $11::jsonb),
                  ($12::uuid, 'audit', 'audit.virtualcare.session.create', $13::jsonb)) as v(id, aggregate_type, type, data))
select "id" from s`;

/** A read with its audit row: the row is written only when the read found something. */
const withAudit = (read: string, auditParams: string, guard: "from r" | "") =>
  `with r as (${read}),
a as (insert into "virtual_care_outbox" (${OUTBOX_COLUMNS}) select ${auditParams} ${guard})
select * from r`;

/** GET /v1/sessions/{id}: the session with its participants (as the service reads it) + audit. */
const DETAIL = withAudit(same.SELECT_SESSION_READ, `$3::uuid, $2, 'audit', $1::text, 'audit.virtualcare.session.read', $4::jsonb, $5::timestamptz`, "from r");

/** First page + audit (a list is audited even when empty). */
const LIST = withAudit(same.SELECT_SESSION_PAGE, `$3::uuid, $1, 'audit', $1, 'audit.virtualcare.session.list', $4::jsonb, $5::timestamptz`, "");

/** Validate of a waiting patient: the join state (participant ⋈ session ⟕ config) + audit. */
const VALIDATE = withAudit(same.SELECT_JOIN_STATE, `$4::uuid, $3, 'audit', $2::text, 'audit.virtualcare.join.validate', $5::jsonb, $6::timestamptz`, "from r");

export const LEAST_PREPARED = { create: "least_create", detail: "least_detail", list: "least_list", status: "least_status", validate: "least_validate" } as const;

const auditData = (tenantId: string, action: string, actor: object, targets: Record<string, string>, now: Date) => ({
  actor,
  tenantId,
  action,
  targets,
  outcome: "success",
  time: now.toISOString(),
});
const staff = { kind: "staff", id: "bench-user" };

export async function leastCreate(pool: pg.Pool, req: LimitRequest): Promise<unknown> {
  const t = req.tenantId;
  const b = req.body as { patientId: string; providerId: string; scheduledStart: string; scheduledEnd: string };
  const id = randomUUID();
  const now = new Date();
  const room = `vc-${randomBytes(20).toString("hex")}`;
  const people = [randomUUID(), randomUUID()];
  const created = { sessionId: id, patientId: b.patientId, providerId: b.providerId, appointmentId: null, scheduledStart: b.scheduledStart, scheduledEnd: b.scheduledEnd, videoBackend: "primary" };
  const audit = auditData(t, "session.create", staff, { sessionId: id }, now);
  const { rows } = await pool.query({
    name: LEAST_PREPARED.create,
    text: CREATE,
    values: [id, t, b.patientId, b.providerId, new Date(b.scheduledStart), new Date(b.scheduledEnd), room, people[0], people[1], randomUUID(), created, randomUUID(), audit, now],
  });
  if (rows.length === 0) throw new Error("tenant not licensed");
  return { id, tenantId: t, status: "scheduled", ...b, video: { backend: "primary", roomName: room }, version: 1, participants: people };
}

export async function leastDetail(pool: pg.Pool, req: LimitRequest): Promise<unknown> {
  const id = req.params.id ?? "";
  const now = new Date();
  const audit = auditData(req.tenantId, "session.read", staff, { sessionId: id }, now);
  const { rows } = await pool.query({ name: LEAST_PREPARED.detail, text: DETAIL, values: [id, req.tenantId, randomUUID(), audit, now], rowMode: "array" });
  if (rows.length === 0) throw new Error("not found");
  return { session: rows[0] };
}

export async function leastList(pool: pg.Pool, req: LimitRequest): Promise<unknown> {
  const limit = Number(req.query.limit ?? 20);
  const now = new Date();
  const audit = auditData(req.tenantId, "session.list", staff, {}, now);
  const { rows } = await pool.query({ name: LEAST_PREPARED.list, text: LIST, values: [req.tenantId, limit + 1, randomUUID(), audit, now], rowMode: "array" });
  return { items: (rows as unknown[][]).slice(0, limit), nextCursor: null };
}

/** Validate after the token check (the caller verified it, as the same-statements limit does). */
export async function leastValidate(pool: pg.Pool, c: { tenantId: string; sessionId: string; participantId: string }): Promise<unknown> {
  const now = new Date();
  const actor = { kind: "participant", tenantId: c.tenantId, sessionId: c.sessionId, participantId: c.participantId };
  const audit = auditData(c.tenantId, "join.validate", actor, { sessionId: c.sessionId, participantId: c.participantId }, now);
  const values = [c.participantId, c.sessionId, c.tenantId, randomUUID(), audit, now];
  const { rows } = await pool.query({ name: LEAST_PREPARED.validate, text: VALIDATE, values, rowMode: "array" });
  const row = rows[0] as unknown[] | undefined;
  if (!row) throw new Error("not found");
  return { destination: "waiting_room", sessionId: c.sessionId, participantId: c.participantId, role: row[7] };
}

// ---- The same statements as pgbench scripts (-M extended: variables travel as parameters). ----

const tenantOf = (n: string, size: SeedSize) => `'bench-tenant-' || lpad((${n} % ${size.tenants})::text, 3, '0')`;
const sessionOf = (n: string) => `md5('bench-session-' || ${n})::uuid`;
const randomId = (salt: string) => `md5(:r1::text || '-' || :r2::text || '-' || :client_id::text || '${salt}')::uuid`;
const randoms = [`\\set r1 random(0, 2000000000)`, `\\set r2 random(0, 2000000000)`];
/** A waiting patient of the seed: session n in 10..4995 with n % 10 < 6 (seed.ts, WAITING_RANGE). */
const waiting = [`\\set k random(0, 2993)`, `\\set n 10 * (:k / 6) + (:k % 6) + 10`];
const auditJson = (action: string) => `'{"actor":{"kind":"staff","id":"bench-user"},"action":"${action}","outcome":"success","time":"2026-11-28T00:00:00.000Z"}'`;

/** Replaces `$n` placeholders by pgbench expressions (highest first, so $1 does not eat $14). */
function bind(text: string, params: string[]): string {
  return params.reduceRight((s, p, i) => s.replaceAll(new RegExp(`\\$${i + 1}(?![0-9])`, "g"), `(${p})`), text);
}

/** The scripts for a seed of this size (seed.ts: session n belongs to tenant n % tenants). */
export const leastPgbench = (size: SeedSize): Record<ScenarioKey, string> => ({
  create: [
    ...randoms,
    `\\set t random(0, ${size.tenants - 1})`,
    `\\set p random(0, 4999)`,
    bind(CREATE, [
      randomId(""), tenantOf(":t", size), `'patient-' || :p`, `'dr-1'`, `now() + interval '400 days'`, `now() + interval '400 days 30 minutes'`,
      `'vc-' || md5(:r1::text) || md5(:r2::text)`, randomId("p0"), randomId("p1"), randomId("e"),
      `'{"patientId":"p","providerId":"dr-1","appointmentId": null,"videoBackend":"primary"}'`, randomId("a"), auditJson("session.create"), `now()`,
    ]).replace(/\s+/g, " ") + ";",
  ].join("\n") + "\n",
  detail: [
    ...randoms,
    `\\set n random(1, ${size.sessions})`,
    bind(DETAIL, [sessionOf(":n"), tenantOf(":n", size), randomId(""), auditJson("session.read"), `now()`]).replace(/\s+/g, " ") + ";",
  ].join("\n") + "\n",
  list: [
    ...randoms,
    `\\set t random(0, ${size.tenants - 1})`,
    bind(LIST, [tenantOf(":t", size), "21", randomId(""), auditJson("session.list"), `now()`]).replace(/\s+/g, " ") + ";",
  ].join("\n") + "\n",
  status: [...waiting, bind(same.SELECT_JOIN_STATE, [`md5('bench-participant-' || :n || '-0')::uuid`, sessionOf(":n"), tenantOf(":n", size)]) + ";"].join("\n") + "\n",
  validate: [
    ...randoms,
    ...waiting,
    bind(VALIDATE, [`md5('bench-participant-' || :n || '-0')::uuid`, sessionOf(":n"), tenantOf(":n", size), randomId(""), auditJson("join.validate"), `now()`]).replace(/\s+/g, " ") + ";",
  ].join("\n") + "\n",
});
