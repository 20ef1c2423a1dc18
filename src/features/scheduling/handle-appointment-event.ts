import { isExternalId, isFhirId } from "../../domain/identifiers.js";
import { isStorableInstant } from "../../domain/instant.js";
import { DomainError, isDomainError, type ErrorCode } from "../../domain/errors.js";
import type { Actor, UnitOfWork } from "../../platform/ports.js";
import { InboxDuplicateError, type AppointmentSessions, type EventOutcome, type IncomingEvent, type InboxPort } from "./ports.js";

export const APPOINTMENT_BOOKED = "scheduling.appointment.booked.v1";
export const APPOINTMENT_CANCELLED = "scheduling.appointment.cancelled.v1";
/** Audit entries about events that name no usable tenant are filed under this pseudo-tenant. */
export const UNKNOWN_TENANT = "_unknown";
const CONSUMER = "scheduling-consumer";

interface AppointmentData {
  appointmentId: string;
  tenantId: string;
  patientId: string;
  providerId: string;
  start: Date;
  end?: Date;
  visitMode: string;
}

export interface HandleAppointmentEventDeps<U extends UnitOfWork> {
  inbox: InboxPort<U>;
  /** Plain unit of work, for reads that are no effect (finding the appointment's session). */
  uow: UnitOfWork;
  sessions: AppointmentSessions<U>;
}

const transient: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "VIDEO_PROVIDER_UNAVAILABLE",
  "CONSENT_CHECK_UNAVAILABLE",
  "OPTIMISTIC_LOCK_CONFLICT",
  "INTERNAL",
]);

/**
 * Spec flow 4.4: a booked virtual appointment creates its session with the same checks as the API;
 * a cancelled one cancels it. Each CloudEvent is handled once: its inbox row commits with its
 * effect, or — for a refusal — with the audit entry that records why it was terminated.
 */
export class HandleAppointmentEvent<U extends UnitOfWork> {
  constructor(private readonly deps: HandleAppointmentEventDeps<U>) {}

  /**
   * `lastAttempt`: the transport will not deliver this event again (its delivery cap), so a
   * transient failure is final too: terminated with its reason and audited, not retried forever.
   */
  async handle(event: IncomingEvent, options: { lastAttempt?: boolean } = {}): Promise<EventOutcome> {
    if (event.kind === "malformed") return this.reject(event, UNKNOWN_TENANT, "VALIDATION_FAILED", {});
    if (await this.deps.inbox.seen(event.source, event.id)) return { result: "duplicate" };
    const data = appointmentData(event);
    if (!data) return this.reject(event, claimedTenant(event), "VALIDATION_FAILED", {});
    const actor: Actor = { kind: "system", tenantId: data.tenantId, name: CONSUMER };
    const targets = { eventId: event.id, appointmentId: data.appointmentId };
    const entry = { source: event.source, eventId: event.id, type: event.type };
    try {
      if (event.type === APPOINTMENT_BOOKED) {
        if (data.visitMode !== "virtual") {
          await this.deps.inbox.unitOfWork({ ...entry, outcome: "ignored" }).run(data.tenantId, async () => undefined);
          return { result: "ignored" };
        }
        await this.deps.sessions.create(this.deps.inbox.unitOfWork({ ...entry, outcome: "applied" }), actor, {
          appointmentId: data.appointmentId,
          patientId: data.patientId,
          providerId: data.providerId,
          scheduledStart: data.start,
          scheduledEnd: data.end,
        });
        return { result: "applied" };
      }
      if (event.type === APPOINTMENT_CANCELLED) {
        const session = await this.deps.uow.run(data.tenantId, (tx) => tx.sessions.findByAppointment(data.tenantId, data.appointmentId));
        if (!session) throw new DomainError("NOT_FOUND", "no virtual session for this appointment");
        const inboxUnit = this.deps.inbox.unitOfWork({ ...entry, outcome: "applied" });
        await this.deps.sessions.cancel(inboxUnit, actor, session.id, "appointment cancelled in scheduling");
        return { result: "applied" };
      }
      return this.reject(event, data.tenantId, "VALIDATION_FAILED", targets);
    } catch (err) {
      if (err instanceof InboxDuplicateError) return { result: "duplicate" };
      const code: ErrorCode = isDomainError(err) ? err.code : "INTERNAL";
      if (transient.has(code) && !options.lastAttempt) return { result: "retry", reason: code };
      return this.reject(event, data.tenantId, code, targets);
    }
  }

  /** Records the refusal in the inbox and the audit trail in one transaction. */
  private async reject(
    event: IncomingEvent,
    tenantId: string,
    code: ErrorCode,
    targets: Record<string, string>,
  ): Promise<EventOutcome> {
    const eventId = event.id ?? "";
    const source = event.source ?? "";
    const actor: Actor = { kind: "system", tenantId, name: CONSUMER };
    const audit = { actor, action: "scheduling_event.terminate" as const, outcome: "denied" as const, targets: { ...targets, eventId }, reason: code };
    const type = event.kind === "cloudevent" ? event.type : "unknown";
    try {
      if (eventId && source) {
        await this.deps.inbox.unitOfWork({ source, eventId, type, outcome: `rejected:${code}` }).run(tenantId, (tx) => tx.audit.record(audit));
      } else {
        // Without an id the event cannot be deduplicated; it is still audited.
        await this.deps.uow.run(tenantId, (tx) => tx.audit.record(audit));
      }
    } catch (err) {
      if (err instanceof InboxDuplicateError) return { result: "duplicate" };
      return { result: "retry", reason: "INTERNAL" };
    }
    return { result: "rejected", reason: code };
  }
}

/**
 * The tenant an invalid event names, for filing its audit entry: the scheduling service is an
 * authenticated producer on the internal bus, so its claim is trusted that far.
 */
function claimedTenant(event: Extract<IncomingEvent, { kind: "cloudevent" }>): string {
  const fromData = (event.data as Record<string, unknown> | null)?.tenantId;
  if (id(fromData)) return fromData;
  return id(event.tenantid) ? event.tenantid : UNKNOWN_TENANT;
}

const id = isExternalId;
const time = (v: unknown): Date | null => {
  if (typeof v !== "string") return null;
  const d = new Date(v);
  return isStorableInstant(d) ? d : null;
};

/** `scheduling.appointment.booked.v1` / `.cancelled.v1` data: {appointmentId, tenantId, patientId, providerId, start, end, visitMode}. */
function appointmentData(event: Extract<IncomingEvent, { kind: "cloudevent" }>): AppointmentData | null {
  const d = event.data as Record<string, unknown> | null;
  if (!d || typeof d !== "object") return null;
  if (!id(d.appointmentId) || !id(d.tenantId) || !isFhirId(d.patientId) || !isFhirId(d.providerId)) return null;
  // The extension, when present, must name the same tenant as the data.
  if (event.tenantid !== undefined && event.tenantid !== d.tenantId) return null;
  const start = time(d.start);
  const end = d.end === undefined || d.end === null ? undefined : time(d.end);
  if (!start || end === null) return null;
  if (typeof d.visitMode !== "string") return null;
  return {
    appointmentId: d.appointmentId,
    tenantId: d.tenantId,
    patientId: d.patientId,
    providerId: d.providerId,
    start,
    end,
    visitMode: d.visitMode,
  };
}
