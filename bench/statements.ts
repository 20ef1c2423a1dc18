/**
 * The SQL the service's routes send, copied verbatim from PostgreSQL's statement log of the
 * service under the bench (`npm run bench -- --capture-sql` prints it and checks these texts
 * against it). The limit routes send exactly these texts with the same parameters, on `pg`.
 */
export const SELECT_TENANT_CONFIG = 'select "version", "config" from "tenant_configs" where "tenant_configs"."tenant_id" = $1';
export const ASSERT_TENANT_CONFIG = "select virtual_care_assert_tenant_config($1, $2)";

export const INSERT_SESSION =
  'insert into "virtual_sessions" ("id", "tenant_id", "status", "patient_id", "provider_id", "appointment_id", "scheduled_start", "scheduled_end", "video_backend", "video_provider", "video_domain", "room_name", "encounter_id", "encounter_lease_until", "cancel_reason", "fallback", "started_at", "ended_at", "created_at", "updated_at", "version") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, default, $14, $15, $16, $17, $18, $19, $20)';

export const INSERT_TWO_PARTICIPANTS =
  'insert into "session_participants" ("id", "session_id", "tenant_id", "position", "role", "display_name", "external_id", "status", "waiting_since", "admitted_at", "removed_at", "precall_kbps", "precall_below_threshold", "precall_checked_at", "precall_video_anyway") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15), ($16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)';

/** A new session with its two participants: one statement (adapters/postgres/session-repository.ts). */
export const INSERT_SESSION_WITH_TWO = `with "first_insert" as (${INSERT_SESSION}) ${INSERT_TWO_PARTICIPANTS.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + 20}`)}`;

/** The read audit's group-commit INSERT (adapters/postgres/group-commit-audit.ts): arrays, one row each in the limit. */
export const INSERT_AUDIT_ROWS =
  'insert into "virtual_care_outbox" ("id", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "traceparent") select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::text[]) on conflict ("id") do nothing';

/** A command's events and audit row, written together before its commit (outbox-writer.ts): two rows. */
export const INSERT_OUTBOX_2 =
  'insert into "virtual_care_outbox" ("id", "seq", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "created_at", "published_at", "attempts", "last_error", "traceparent", "webhook_pending") values ($1, default, $2, $3, $4, $5, $6, $7, default, default, default, default, $8, exists (select 1 from "tenant_configs" c where c.tenant_id = $9 and c.config -> \'webhooks\' @> jsonb_build_array(jsonb_build_object(\'eventTypes\', jsonb_build_array($10::text))))), ($11, default, $12, $13, $14, $15, $16, $17, default, default, default, default, $18, $19) on conflict ("id") do nothing returning "webhook_pending"';

const SESSION_COLUMNS =
  '"id", "tenant_id", "status", "patient_id", "provider_id", "appointment_id", "scheduled_start", "scheduled_end", "video_backend", "video_provider", "video_domain", "room_name", "encounter_id", "encounter_lease_until", "cancel_reason", "fallback", "started_at", "ended_at", "created_at", "updated_at", "version"';

/** A read's session row with its participants as one JSON column: one statement, one snapshot. */
const PARTICIPANTS_JSON = `coalesce((select json_agg(json_build_array(p."id", p."role", p."display_name", p."external_id", p."status", p."waiting_since", p."admitted_at", p."removed_at", p."precall_kbps", p."precall_below_threshold", p."precall_checked_at", p."precall_video_anyway") order by p."position") from "session_participants" p where p."session_id" = "virtual_sessions"."id" and p."tenant_id" = "virtual_sessions"."tenant_id"), '[]'::json)`;

/**
 * A read with its audit row in one statement (src/adapters/postgres/queries/audited-read.ts): the
 * read as a CTE with its `columns` named by position, the audit INSERT's parameters from `$first`
 * on, written when the read found a row (and met `condition`, on those names), and `audited`.
 */
const auditedRead = (read: string, columns: number, first: number, condition = "") =>
  `with "read"(${Array.from({ length: columns }, (_, i) => `"c${i}"`).join(", ")}) as (${read}), ` +
  `"audit" as (insert into "virtual_care_outbox" ("id", "tenant_id", "aggregate_type", "aggregate_id", "type", "data", "occurred_at", "traceparent") ` +
  `select ${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `$${first + i}${["::uuid", "", "", "", "", "::jsonb", "::timestamptz", ""][i]}`).join(", ")} from (select 1 from "read"${condition} limit 1) as "found" returning 1) ` +
  `select "read".*, exists (select 1 from "audit") as "audited" from "read"`;

/** GET /v1/sessions/{id}. */
export const SELECT_SESSION_READ = `select ${SESSION_COLUMNS}, ${PARTICIPANTS_JSON} from "virtual_sessions" where ("virtual_sessions"."id" = $1 and "virtual_sessions"."tenant_id" = $2)`;

/**
 * GET /v1/sessions/{id} since issue 23: the read and its audit row in one statement
 * (src/adapters/postgres/queries/audited-read.ts), the row written only when the read found one.
 */
export const SELECT_SESSION_READ_AUDITED = auditedRead(SELECT_SESSION_READ, 22, 3);

export const SELECT_SESSION_PAGE = `select ${SESSION_COLUMNS}, ${PARTICIPANTS_JSON} from "virtual_sessions" where "virtual_sessions"."tenant_id" = $1 order by "virtual_sessions"."scheduled_start" desc, "virtual_sessions"."id" desc limit $2`;

/** The join routes' read (adapters/postgres/join-queries.ts): participant, session and tenant config. */
export const SELECT_JOIN_STATE = `select "virtual_sessions"."status", "virtual_sessions"."scheduled_start", "virtual_sessions"."scheduled_end", "virtual_sessions"."video_backend", "virtual_sessions"."video_provider", "virtual_sessions"."video_domain", "virtual_sessions"."room_name", "session_participants"."id", "session_participants"."role", "session_participants"."display_name", "session_participants"."status", "session_participants"."waiting_since", "tenant_configs"."config", "tenant_configs"."version" from "session_participants" inner join "virtual_sessions" on ("virtual_sessions"."id" = "session_participants"."session_id" and "virtual_sessions"."tenant_id" = "session_participants"."tenant_id") left join "tenant_configs" on "tenant_configs"."tenant_id" = "session_participants"."tenant_id" where ("session_participants"."id" = $1 and "session_participants"."session_id" = $2 and "session_participants"."tenant_id" = $3)`;

/** POST /v1/join/validate of a waiting patient since issue 23: the join state with its audit row, for a patient kept waiting. */
export const SELECT_JOIN_STATE_AUDITED = auditedRead(
  SELECT_JOIN_STATE,
  14,
  4,
  ` where "read"."c8" <> 'clinician' and "read"."c10" = 'waiting' and "read"."c0" in ('scheduled', 'in_progress') and "read"."c12"->>'licensed' = 'true' and "read"."c12"->>'waitingRoomEnabled' = 'true'`,
);

/**
 * How the service opens a unit of work under row-level security (adapters/postgres/tenant-scope.ts):
 * BEGIN and the tenant setting as one simple-protocol string, pipelined with the statements after it.
 */
export const beginInTenant = (access: "read only" | "read write", tenantLiteral: string) =>
  `begin ${access}; select set_config('app.tenant_id', ${tenantLiteral}, true)`;

/**
 * The names under which the service prepares its hot reads and the read audit (PostgreSQL
 * parses a named statement once per connection): the limit prepares them under the same
 * names, so both sides ask the same of the database.
 */
export const PREPARED = {
  sessionById: "vcs_session_by_id",
  sessionByIdAudited: "vcs_session_by_id_audited",
  firstPage: "vcs_session_first_page",
  auditBatch: "vcs_audit_batch",
  joinState: "vcs_join_state",
  joinStateAudited: "vcs_join_state_audited",
  tenantConfig: "vcs_tenant_config",
  tenantConfigGuard: "vcs_tenant_config_guard",
  // A command's INSERTs, built once per shape (src/adapters/postgres/built-statement.ts).
  sessionInsert2: "vcs_session_insert_2",
  // An event (its webhook flag decided in the INSERT) and an audit row.
  outboxInsert2: "vcs_outbox_insert_ea",
} as const;
