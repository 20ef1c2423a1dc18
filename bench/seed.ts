import { createHash } from "node:crypto";

/**
 * The list/detail data set, written with set-based SQL (two INSERT … SELECT over generate_series)
 * so 100,000 sessions take seconds, not minutes of API calls. Ids are md5-derived UUIDs, so the
 * bench can name any seeded session (`seededSessionId(n)`) without reading them back.
 * Columns follow src/adapters/postgres/schema.ts; run it after the service has migrated.
 */
export interface SeedSize {
  sessions: number;
  tenants: number;
}

export const tenantId = (i: number): string => `bench-tenant-${String(i).padStart(3, "0")}`;

/** Session n (1-based) belongs to tenant n % tenants. */
export function seededSession(n: number, size: SeedSize): { id: string; tenantId: string } {
  return { id: md5Uuid(`bench-session-${n}`), tenantId: tenantId(n % size.tenants) };
}

function md5Uuid(text: string): string {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The waiting room of the join scenarios: in sessions 1..WAITING_RANGE that are scheduled
 * (n % 10 < 6), the patient (position 0) is waiting, as after their first validation.
 */
export const WAITING_RANGE = 5000;

export interface SeededParticipant {
  tenantId: string;
  sessionId: string;
  participantId: string;
}

export function waitingPatients(size: SeedSize): SeededParticipant[] {
  const out: SeededParticipant[] = [];
  for (let n = 1; n <= Math.min(WAITING_RANGE, size.sessions); n++) {
    if (n % 10 >= 6) continue;
    out.push(seededPatient(n, size));
  }
  return out;
}

/** The patient (position 0) of seeded session n. */
export function seededPatient(n: number, size: SeedSize): SeededParticipant {
  const s = seededSession(n, size);
  return { tenantId: s.tenantId, sessionId: s.id, participantId: md5Uuid(`bench-participant-${n}-0`) };
}

export function seedSql(size: SeedSize): string[] {
  // Status mix: 60 % scheduled, 20 % ended, 10 % cancelled, 10 % in progress; one visit every
  // 7 minutes from 2026-01-01, so each tenant's list spans about 16 months.
  const status = `case when n % 10 < 6 then 'scheduled' when n % 10 < 8 then 'ended' when n % 10 = 8 then 'cancelled' else 'in_progress' end`;
  const start = `(timestamptz '2026-01-01 00:00:00+00' + n * interval '7 minutes')`;
  return [
    `insert into virtual_sessions (id, tenant_id, status, patient_id, provider_id, appointment_id, scheduled_start,
       scheduled_end, video_backend, video_provider, video_domain, room_name, encounter_id, cancel_reason, fallback,
       started_at, ended_at, created_at, updated_at, version)
     select md5('bench-session-' || n)::uuid,
       'bench-tenant-' || lpad((n % ${size.tenants})::text, 3, '0'),
       s.status, 'patient-' || (n % 5000), 'dr-' || (n % 200), 'appt-' || n,
       ${start}, ${start} + interval '30 minutes',
       'primary', 'jitsi', 'primary.meet.example.org', 'vc-' || md5('room-' || n) || substr(md5('r2-' || n), 1, 8),
       case when s.status = 'ended' then 'enc-' || n end,
       case when s.status = 'cancelled' then 'patient cancelled' end,
       null,
       case when s.status in ('ended', 'in_progress') then ${start} end,
       case when s.status = 'ended' then ${start} + interval '25 minutes' end,
       ${start} - interval '14 days',
       ${start} + interval '25 minutes',
       case when s.status = 'scheduled' then 1 else 2 end
     from generate_series(1, ${size.sessions}) as n, lateral (select ${status} as status) as s`,
    `insert into session_participants (id, session_id, tenant_id, position, role, display_name, external_id, status,
       waiting_since, admitted_at, removed_at)
     select md5('bench-participant-' || vs.n || '-' || p.position)::uuid, md5('bench-session-' || vs.n)::uuid,
       'bench-tenant-' || lpad((vs.n % ${size.tenants})::text, 3, '0'), p.position,
       case p.position when 0 then 'patient' else 'clinician' end,
       case p.position when 0 then 'Patient' else 'Clinician' end,
       case p.position when 0 then 'patient-' || (vs.n % 5000) else 'dr-' || (vs.n % 200) end,
       case when vs.n % 10 < 6 or vs.n % 10 = 8 then 'invited' else 'admitted' end,
       null,
       case when vs.n % 10 < 6 or vs.n % 10 = 8 then null else timestamptz '2026-01-01 00:00:00+00' + vs.n * interval '7 minutes' end,
       null
     from generate_series(1, ${size.sessions}) as vs(n), (values (0), (1)) as p(position)`,
    `update session_participants set status = 'waiting', waiting_since = timestamptz '2026-01-01 00:00:00+00' + n * interval '7 minutes'
     from generate_series(1, ${Math.min(WAITING_RANGE, size.sessions)}) as n
     where n % 10 < 6 and session_participants.id = md5('bench-participant-' || n || '-0')::uuid`,
    `analyze virtual_sessions`,
    `analyze session_participants`,
  ];
}
