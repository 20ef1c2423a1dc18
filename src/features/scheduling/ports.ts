/** Ports of the scheduling consumer: the inbox, and the session commands an appointment triggers. */
import type { ErrorCode } from "../../domain/errors.js";
import type { Actor, UnitOfWork } from "../../platform/ports.js";

/** A consumed event, identified by CloudEvent `source` + `id`. */
export interface InboxEntry {
  source: string;
  eventId: string;
  type: string;
  /** "applied", "ignored" or "rejected:<CODE>". */
  outcome: string;
}

/** Thrown by an inbox unit of work when the event was already handled; its effect is rolled back. */
export class InboxDuplicateError extends Error {
  constructor() {
    super("event already handled");
    this.name = "InboxDuplicateError";
  }
}

export interface InboxPort<U extends UnitOfWork = UnitOfWork> {
  seen(source: string, eventId: string): Promise<boolean>;
  /**
   * A unit of work whose transaction first records `entry` in the inbox, so the event's effect and
   * its inbox row commit (or roll back) together. Meant for a single `run` per event; a second
   * `run`, or a concurrent delivery of the same event, throws InboxDuplicateError.
   */
  unitOfWork(entry: InboxEntry): U;
}

export interface AppointmentVisit {
  appointmentId: string;
  patientId: string;
  providerId: string;
  scheduledStart: Date;
  scheduledEnd?: Date;
}

/**
 * The API's own session commands (same checks as the HTTP routes), run on the inbox's unit of
 * work so the effect commits with the inbox row. Wired by the composition root (composition/features.ts) from the sessions feature.
 */
export interface AppointmentSessions<U extends UnitOfWork = UnitOfWork> {
  create(on: U, actor: Actor, visit: AppointmentVisit): Promise<void>;
  cancel(on: U, actor: Actor, sessionId: string, reason: string): Promise<void>;
}

/** A consumed CloudEvent as the transport read it; `malformed` when it was not a valid CloudEvent. */
export type IncomingEvent =
  | { kind: "cloudevent"; id: string; source: string; type: string; tenantid?: string; data: unknown }
  | { kind: "malformed"; reason: string; id?: string; source?: string };

export type EventOutcome =
  | { result: "applied" | "duplicate" | "ignored" }
  /** Can never succeed: terminate it (it is already audited and in the inbox). */
  | { result: "rejected"; reason: ErrorCode }
  /** Might succeed later (database, consent source or video backend down): redeliver with backoff. */
  | { result: "retry"; reason: string };
