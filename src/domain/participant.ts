import { DomainError } from "./errors.js";

export const participantRoles = ["patient", "clinician", "interpreter", "caregiver", "guest"] as const;
export type ParticipantRole = (typeof participantRoles)[number];

export type ParticipantStatus = "invited" | "waiting" | "admitted" | "removed";

export interface Participant {
  id: string;
  role: ParticipantRole;
  displayName: string;
  externalId: string | null;
  status: ParticipantStatus;
  waitingSince: Date | null;
  admittedAt: Date | null;
  removedAt: Date | null;
  /**
   * The pre-call network check this participant's browser last reported (all three null: not
   * checked yet). `precallBelowThreshold` is the tenant's verdict at that moment, kept because the
   * threshold may change later and clinicians cannot read the tenant config.
   */
  precallKbps: number | null;
  precallBelowThreshold: boolean | null;
  precallCheckedAt: Date | null;
  /** Below the threshold, the participant chose to try video anyway (null: no check, or not below). */
  precallVideoAnyway: boolean | null;
}

export interface NewParticipant {
  role: ParticipantRole;
  displayName: string;
  externalId?: string | null;
}

/** A participant as invited: no status change yet. */
export function invitedParticipant(p: NewParticipant & { id: string }): Participant {
  return {
    id: p.id,
    role: p.role,
    displayName: p.displayName,
    externalId: p.externalId ?? null,
    status: "invited",
    waitingSince: null,
    admittedAt: null,
    removedAt: null,
    precallKbps: null,
    precallBelowThreshold: null,
    precallCheckedAt: null,
    precallVideoAnyway: null,
  };
}

/** The participant state machine: invited → waiting → admitted, any of them → removed. */
const allowed: Record<ParticipantStatus, readonly ParticipantStatus[]> = {
  invited: ["waiting", "admitted", "removed"],
  waiting: ["admitted", "removed"],
  admitted: ["removed"],
  removed: [],
};

export const canMoveParticipant = (from: ParticipantStatus, to: ParticipantStatus): boolean =>
  allowed[from].includes(to);

export function assertNotRemoved(p: Participant): void {
  if (p.status === "removed") {
    throw new DomainError("PARTICIPANT_REMOVED", "participant has been removed from the session");
  }
}

export const isActiveParticipant = (p: Participant): boolean => p.status !== "removed";
