import { AggregateRoot } from "./aggregate-root.js";
import { DomainError } from "./errors.js";
import { EventTypes, type DomainEvent } from "./events.js";
import {
  assertNotRemoved,
  canMoveParticipant,
  invitedParticipant,
  isActiveParticipant,
  type NewParticipant,
  type Participant,
  type ParticipantStatus,
} from "./participant.js";

import { canTransition, isFinal, isJoinable, type ScheduleInput, type SessionState, type SessionStatus } from "./session-state.js";

export * from "./session-state.js";

/**
 * The VirtualSession aggregate. Each command checks its rule, changes state and records the event,
 * in that order; the repository persists state and recorded events together and bumps `version`
 * once per saved command.
 */
export class VirtualSession extends AggregateRoot<SessionState> {
  private dirty = false;

  private constructor(state: SessionState) {
    super(state);
  }

  static rehydrate(state: SessionState): VirtualSession {
    return new VirtualSession(state);
  }

  static schedule(input: ScheduleInput): VirtualSession {
    const active = input.participants.length;
    if (active > input.maxParticipants) {
      throw new DomainError("MAX_PARTICIPANTS_EXCEEDED", `a session may have at most ${input.maxParticipants} participants`);
    }
    const session = new VirtualSession({
      id: input.id,
      tenantId: input.tenantId,
      status: "scheduled",
      patientId: input.patientId,
      providerId: input.providerId,
      appointmentId: input.appointmentId,
      scheduledStart: input.scheduledStart,
      scheduledEnd: input.scheduledEnd,
      video: input.video,
      encounterId: null,
      cancelReason: null,
      fallback: null,
      startedAt: null,
      endedAt: null,
      createdAt: input.now,
      updatedAt: input.now,
      version: 1,
      participants: input.participants.map(invitedParticipant),
    });
    session.record(EventTypes.sessionCreated, {
      sessionId: input.id,
      patientId: input.patientId,
      providerId: input.providerId,
      appointmentId: input.appointmentId,
      scheduledStart: input.scheduledStart.toISOString(),
      scheduledEnd: input.scheduledEnd.toISOString(),
      videoBackend: input.video.backend,
    });
    return session;
  }

  get tenantId(): string {
    return this.state.tenantId;
  }
  get status(): SessionStatus {
    return this.state.status;
  }
  participant(participantId: string): Participant {
    const p = this.state.participants.find((x) => x.id === participantId);
    if (!p) throw new DomainError("NOT_FOUND", "participant not found");
    return { ...p };
  }
  get hasChanges(): boolean {
    return this.dirty;
  }
  override markSaved(version: number): void {
    super.markSaved(version);
    this.dirty = false;
  }

  cancel(reason: string, now: Date): void {
    this.moveTo("cancelled", now);
    this.state.cancelReason = reason;
    // Consumers notify these people; ids and roles only, names stay in this service.
    const notify = this.state.participants
      .filter((p) => p.status !== "removed")
      .map((p) => ({ participantId: p.id, role: p.role, externalId: p.externalId }));
    this.record(EventTypes.sessionCancelled, { sessionId: this.id, reason, participants: notify });
  }

  end(now: Date): void {
    this.moveTo("ended", now);
    this.state.endedAt = now;
    this.record(EventTypes.sessionEnded, { sessionId: this.id, endedAt: now.toISOString() });
    // Billed is only the time a clinician and the patient were admitted together (issue 11: a
    // visit nobody attended billed its whole scheduled span). Never together: 0 s, not billable.
    const together = this.togetherInterval(now);
    this.record(EventTypes.billingSessionCompleted, {
      sessionId: this.id,
      patientId: this.state.patientId,
      providerId: this.state.providerId,
      start: (together?.start ?? now).toISOString(),
      end: (together?.end ?? now).toISOString(),
      durationSeconds: together ? Math.round((together.end.getTime() - together.start.getTime()) / 1000) : 0,
      billable: together !== null,
    });
  }

  /** The longest span a clinician and the patient were both admitted (removal ends a span). */
  private togetherInterval(now: Date): { start: Date; end: Date } | null {
    const span = (p: Participant) => (p.admittedAt ? { start: p.admittedAt, end: p.removedAt ?? now } : null);
    const patient = this.state.participants.find((p) => p.role === "patient");
    const patientSpan = patient ? span(patient) : null;
    if (!patientSpan) return null;
    let best: { start: Date; end: Date } | null = null;
    for (const c of this.state.participants.filter((p) => p.role === "clinician")) {
      const s = span(c);
      if (!s) continue;
      const start = new Date(Math.max(s.start.getTime(), patientSpan.start.getTime()));
      const end = new Date(Math.min(s.end.getTime(), patientSpan.end.getTime()));
      if (end > start && (!best || end.getTime() - start.getTime() > best.end.getTime() - best.start.getTime())) best = { start, end };
    }
    return best;
  }

  initiateFallback(reason: string, measuredKbps: number | null, now: Date): void {
    this.moveTo("fallback", now);
    this.state.fallback = { reason, measuredKbps, initiatedAt: now };
    this.record(EventTypes.sessionFallbackInitiated, { sessionId: this.id, reason, measuredKbps });
  }

  addParticipant(p: NewParticipant & { id: string }, maxParticipants: number, now: Date): Participant {
    this.assertOpen();
    const active = this.state.participants.filter(isActiveParticipant).length;
    if (active + 1 > maxParticipants) {
      throw new DomainError("MAX_PARTICIPANTS_EXCEEDED", `a session may have at most ${maxParticipants} participants`);
    }
    const participant = invitedParticipant(p);
    this.state.participants.push(participant);
    this.touch(now);
    return { ...participant };
  }

  /** A validated join token whose destination is the waiting room (idempotent). */
  enterWaitingRoom(participantId: string, now: Date): Participant {
    this.assertJoinable();
    const p = this.mutableParticipant(participantId);
    assertNotRemoved(p);
    if (p.status === "invited") {
      this.moveParticipant(p, "waiting", now);
      p.waitingSince = now;
    }
    return { ...p };
  }

  /** Direct join (the clinician, or any participant when the waiting room is off); idempotent. */
  directJoin(participantId: string, now: Date): Participant {
    this.assertJoinable();
    const p = this.mutableParticipant(participantId);
    assertNotRemoved(p);
    if (p.status !== "admitted") this.admitInternal(p, now);
    return { ...p };
  }

  admit(participantId: string, now: Date): Participant {
    this.assertJoinable();
    const p = this.mutableParticipant(participantId);
    if (p.status !== "waiting") {
      throw new DomainError("PARTICIPANT_NOT_IN_WAITING_ROOM", "only a participant in the waiting room can be admitted", {
        currentStatus: p.status,
      });
    }
    this.admitInternal(p, now);
    return { ...p };
  }

  removeParticipant(participantId: string, now: Date): Participant {
    this.assertOpen();
    const p = this.mutableParticipant(participantId);
    if (!canMoveParticipant(p.status, "removed")) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `participant is already ${p.status}`, { currentStatus: p.status });
    }
    this.moveParticipant(p, "removed", now);
    p.removedAt = now;
    this.record(EventTypes.participantRemoved, { sessionId: this.id, participantId: p.id, role: p.role });
    return { ...p };
  }

  /** A participant's measured bandwidth (pre-call check) and whether it was below the tenant's threshold. */
  recordPrecall(participantId: string, kbps: number, belowThreshold: boolean, now: Date, videoAnyway = false): void {
    this.assertOpen();
    const p = this.mutableParticipant(participantId);
    assertNotRemoved(p);
    p.precallKbps = kbps;
    p.precallBelowThreshold = belowThreshold;
    p.precallCheckedAt = now;
    p.precallVideoAnyway = belowThreshold ? videoAnyway : null;
    this.touch(now);
  }

  /** Saga step: the FHIR Encounter now exists for this ended session. */
  linkEncounter(encounterId: string, now: Date): void {
    if (this.state.encounterId === encounterId) return;
    this.state.encounterId = encounterId;
    this.touch(now);
  }

  private admitInternal(p: Participant, now: Date): void {
    this.moveParticipant(p, "admitted", now);
    p.admittedAt = now;
    // The first admit or direct join starts the visit.
    if (this.state.status === "scheduled") {
      this.moveTo("in_progress", now);
      this.state.startedAt = now;
    }
    this.record(EventTypes.participantAdmitted, { sessionId: this.id, participantId: p.id, role: p.role });
  }

  /**
   * Joining means joining the video room, which only a scheduled or running visit has: a final
   * session refuses, and so does one in fallback, whose visit moved to async messaging (decision
   * in docs/decisions.md). Either way the 409 names the current status.
   */
  private assertJoinable(): void {
    if (!isJoinable(this.state.status)) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `a ${this.state.status} session cannot be joined`, {
        currentStatus: this.state.status,
      });
    }
  }

  private assertOpen(): void {
    if (isFinal(this.state.status)) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `session is ${this.state.status}`, {
        currentStatus: this.state.status,
      });
    }
  }

  private moveTo(to: SessionStatus, now: Date): void {
    if (!canTransition(this.state.status, to)) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `cannot move a ${this.state.status} session to ${to}`, {
        currentStatus: this.state.status,
      });
    }
    this.state.status = to;
    this.touch(now);
  }

  private moveParticipant(p: Participant, to: ParticipantStatus, now: Date): void {
    if (!canMoveParticipant(p.status, to)) {
      throw new DomainError("INVALID_STATUS_TRANSITION", `cannot move a ${p.status} participant to ${to}`, {
        currentStatus: p.status,
      });
    }
    p.status = to;
    this.touch(now);
  }

  private mutableParticipant(participantId: string): Participant {
    const p = this.state.participants.find((x) => x.id === participantId);
    if (!p) throw new DomainError("NOT_FOUND", "participant not found");
    return p;
  }

  private touch(now: Date): void {
    this.state.updatedAt = now;
    this.dirty = true;
  }

  private record(type: DomainEvent["type"], data: Record<string, unknown>): void {
    this.recordEvent({ type, tenantId: this.state.tenantId, aggregateType: "session", aggregateId: this.state.id, data });
    this.dirty = true;
  }
}
