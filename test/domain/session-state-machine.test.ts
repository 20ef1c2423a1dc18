import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import { VirtualSession, type SessionStatus } from "../../src/domain/session.js";

const now = new Date("2026-12-01T10:00:00Z");

function sessionIn(status: SessionStatus): VirtualSession {
  const s = VirtualSession.schedule({
    id: "00000000-0000-4000-8000-000000000001",
    tenantId: "t1",
    patientId: "p1",
    providerId: "dr1",
    appointmentId: null,
    scheduledStart: now,
    scheduledEnd: new Date(now.getTime() + 1_800_000),
    video: { backend: "b", provider: "jitsi", domain: "meet.example.org", roomName: "r" },
    participants: [
      { id: "00000000-0000-4000-8000-00000000000a", role: "patient", displayName: "P", externalId: "p1" },
      { id: "00000000-0000-4000-8000-00000000000b", role: "clinician", displayName: "C", externalId: "dr1" },
    ],
    maxParticipants: 6,
    now,
  });
  s.pullEvents();
  const clinician = "00000000-0000-4000-8000-00000000000b";
  if (status === "in_progress") s.directJoin(clinician, now);
  if (status === "fallback") s.initiateFallback("low bandwidth", 80, now);
  if (status === "ended") {
    s.directJoin(clinician, now);
    s.end(now);
  }
  if (status === "cancelled") s.cancel("no longer needed", now);
  expect(s.status).toBe(status);
  s.pullEvents();
  return s;
}

/** Contract §4, written out independently of the implementation's table. */
const expected: Record<SessionStatus, SessionStatus[]> = {
  scheduled: ["in_progress", "fallback", "cancelled"],
  in_progress: ["fallback", "ended"],
  fallback: ["ended"],
  ended: [],
  cancelled: [],
};

const moves: Record<Exclude<SessionStatus, "scheduled">, (s: VirtualSession) => void> = {
  in_progress: (s) => s.directJoin("00000000-0000-4000-8000-00000000000b", now),
  fallback: (s) => s.initiateFallback("r", null, now),
  ended: (s) => s.end(now),
  cancelled: (s) => s.cancel("r", now),
};

describe("session state machine (contract §4)", () => {
  const all: SessionStatus[] = ["scheduled", "in_progress", "fallback", "ended", "cancelled"];
  for (const from of all) {
    for (const to of Object.keys(moves) as Array<keyof typeof moves>) {
      const allowed = expected[from].includes(to);
      it(`${from} → ${to} is ${allowed ? "allowed" : "refused with INVALID_STATUS_TRANSITION"}`, () => {
        const s = sessionIn(from);
        if (allowed) {
          moves[to](s);
          expect(s.status).toBe(to);
          expect(s.hasChanges).toBe(true);
        } else {
          let error: unknown;
          try {
            moves[to](s);
          } catch (e) {
            error = e;
          }
          // A direct join of an already admitted clinician in an in_progress session changes nothing.
          if (from === "in_progress" && to === "in_progress") {
            expect(error).toBeUndefined();
            expect(s.status).toBe("in_progress");
            return;
          }
          // Joining a fallback visit never takes it back to video (in_progress): it is refused like
          // every other move the contract does not allow (docs/decisions.md, "Fallback sessions
          // cannot be joined"), checked by the assertions below.
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe("INVALID_STATUS_TRANSITION");
          expect((error as DomainError).details.currentStatus).toBe(from);
          expect(s.status).toBe(from);
        }
      });
    }
  }

  it("ending records session.ended and a billing event with the time clinician and patient were together", () => {
    const s = sessionIn("in_progress");
    s.directJoin("00000000-0000-4000-8000-00000000000a", now);
    s.pullEvents();
    s.end(new Date(now.getTime() + 754_000));
    const events = s.pullEvents();
    expect(events.map((e) => e.type)).toEqual(["virtualcare.session.ended.v1", "virtualcare.billing.session_completed.v1"]);
    expect(events[1]?.data).toMatchObject({ patientId: "p1", providerId: "dr1", durationSeconds: 754 });
  });

  it("the first admit starts the session; the participant machine refuses admitting one not waiting", () => {
    const s = sessionIn("scheduled");
    const patient = "00000000-0000-4000-8000-00000000000a";
    expect(() => s.admit(patient, now)).toThrow(expect.objectContaining({ code: "PARTICIPANT_NOT_IN_WAITING_ROOM" }));
    s.enterWaitingRoom(patient, now);
    s.enterWaitingRoom(patient, now); // idempotent
    expect(s.participant(patient).status).toBe("waiting");
    s.admit(patient, now);
    expect(s.status).toBe("in_progress");
    expect(s.participant(patient).status).toBe("admitted");
    s.removeParticipant(patient, now);
    expect(() => s.removeParticipant(patient, now)).toThrow(expect.objectContaining({ code: "INVALID_STATUS_TRANSITION" }));
    expect(() => s.directJoin(patient, now)).toThrow(expect.objectContaining({ code: "PARTICIPANT_REMOVED" }));
  });

  it("a pre-call check is recorded on its participant, replacing the last; refused for a removed participant or a final visit", () => {
    const s = sessionIn("scheduled");
    const patient = "00000000-0000-4000-8000-00000000000a";
    expect(s.participant(patient)).toMatchObject({ precallKbps: null, precallBelowThreshold: null, precallCheckedAt: null });
    s.recordPrecall(patient, 90, true, now);
    const later = new Date(now.getTime() + 60_000);
    s.recordPrecall(patient, 2400, false, later);
    expect(s.participant(patient)).toMatchObject({ precallKbps: 2400, precallBelowThreshold: false, precallCheckedAt: later });
    expect(s.hasChanges).toBe(true);
    expect(s.pullEvents()).toEqual([]); // telemetry on the participant: no domain event
    s.removeParticipant(patient, now);
    expect(() => s.recordPrecall(patient, 100, false, now)).toThrow(expect.objectContaining({ code: "PARTICIPANT_REMOVED" }));
    const ended = sessionIn("ended");
    expect(() => ended.recordPrecall(patient, 100, false, now)).toThrow(expect.objectContaining({ code: "INVALID_STATUS_TRANSITION" }));
  });

  it("adding past maxParticipants is refused, and removed participants do not count", () => {
    const s = sessionIn("scheduled");
    const add = (n: number) =>
      s.addParticipant({ id: `00000000-0000-4000-8000-0000000001${n}0`, role: "guest", displayName: `G${n}` }, 3, now);
    const guest = add(1);
    expect(() => add(2)).toThrow(expect.objectContaining({ code: "MAX_PARTICIPANTS_EXCEEDED" }));
    s.removeParticipant(guest.id, now);
    expect(add(3).status).toBe("invited");
  });
});
