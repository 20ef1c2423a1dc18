import type { Participant } from "../domain/participant.js";
import type { SessionState } from "../domain/session.js";

/** The public representation of a session and its participants (contract §3), JSON-ready. */
export interface ParticipantView {
  id: string;
  role: string;
  displayName: string;
  externalId: string | null;
  status: string;
  waitingSince: string | null;
  admittedAt: string | null;
  removedAt: string | null;
}

export interface SessionView {
  id: string;
  tenantId: string;
  status: string;
  patientId: string;
  providerId: string;
  appointmentId: string | null;
  scheduledStart: string;
  scheduledEnd: string;
  video: { backend: string; provider: string; domain: string; roomName: string };
  encounterId: string | null;
  cancelReason: string | null;
  fallback: { reason: string; measuredKbps: number | null; initiatedAt: string } | null;
  startedAt: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  participants: ParticipantView[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function participantView(p: Participant): ParticipantView {
  return {
    id: p.id,
    role: p.role,
    displayName: p.displayName,
    externalId: p.externalId,
    status: p.status,
    waitingSince: iso(p.waitingSince),
    admittedAt: iso(p.admittedAt),
    removedAt: iso(p.removedAt),
  };
}

export function sessionView(s: SessionState): SessionView {
  return {
    id: s.id,
    tenantId: s.tenantId,
    status: s.status,
    patientId: s.patientId,
    providerId: s.providerId,
    appointmentId: s.appointmentId,
    scheduledStart: s.scheduledStart.toISOString(),
    scheduledEnd: s.scheduledEnd.toISOString(),
    video: { ...s.video },
    encounterId: s.encounterId,
    cancelReason: s.cancelReason,
    fallback: s.fallback
      ? { reason: s.fallback.reason, measuredKbps: s.fallback.measuredKbps, initiatedAt: s.fallback.initiatedAt.toISOString() }
      : null,
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    version: s.version,
    participants: s.participants.map(participantView),
  };
}
