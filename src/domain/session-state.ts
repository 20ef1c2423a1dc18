import type { NewParticipant, Participant } from "./participant.js";
import type { VideoProvider } from "./tenant-config.js";

/** The session's state and its state machine, apart from the aggregate that enforces them. */
export type SessionStatus = "scheduled" | "in_progress" | "fallback" | "ended" | "cancelled";
export const sessionStatuses: readonly SessionStatus[] = ["scheduled", "in_progress", "fallback", "ended", "cancelled"];

/** The session state machine (docs/architecture.md). `ended` and `cancelled` are final. */
const transitions: Record<SessionStatus, readonly SessionStatus[]> = {
  scheduled: ["in_progress", "fallback", "cancelled"],
  in_progress: ["fallback", "ended"],
  fallback: ["ended"],
  ended: [],
  cancelled: [],
};

export const canTransition = (from: SessionStatus, to: SessionStatus): boolean => transitions[from].includes(to);
export const isFinal = (s: SessionStatus): boolean => transitions[s].length === 0;

/** Only a scheduled or running visit has a video room to join (not a final one, not one in fallback). */
export const isJoinable = (s: SessionStatus): boolean => s === "scheduled" || s === "in_progress";

/**
 * The longest a visit may be scheduled for (scheduledEnd − scheduledStart). The video JWT lives
 * until scheduledEnd + 1 h and cannot be revoked (Jitsi checks it offline), so an unbounded end
 * (issue 20: 9999-12-30) would be a link valid for millennia; no telehealth visit lasts a day.
 */
export const MAX_VISIT_MS = 24 * 60 * 60 * 1000;

export interface VideoRoom {
  backend: string;
  provider: VideoProvider;
  domain: string;
  roomName: string;
}

export interface Fallback {
  reason: string;
  measuredKbps: number | null;
  initiatedAt: Date;
}

export interface SessionState {
  id: string;
  tenantId: string;
  status: SessionStatus;
  patientId: string;
  providerId: string;
  appointmentId: string | null;
  scheduledStart: Date;
  scheduledEnd: Date;
  video: VideoRoom;
  encounterId: string | null;
  cancelReason: string | null;
  fallback: Fallback | null;
  startedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  participants: Participant[];
}

export interface ScheduleInput {
  id: string;
  tenantId: string;
  patientId: string;
  providerId: string;
  appointmentId: string | null;
  scheduledStart: Date;
  scheduledEnd: Date;
  video: VideoRoom;
  participants: Array<NewParticipant & { id: string }>;
  maxParticipants: number;
  now: Date;
}

