import { DomainError, notFound, versionConflict } from "../../domain/errors.js";
import { VirtualSession } from "../../domain/session.js";
import type { OutboxWriter, VirtualSessionRepository } from "../../platform/ports.js";
import { rowKey, type Journal, type MemoryState } from "./memory-store.js";

/** VirtualSessionRepository over a transaction's copy of the memory state; same rules as PostgreSQL's. */
export class MemorySessionRepository implements VirtualSessionRepository {
  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal,
    private readonly outbox: OutboxWriter,
  ) {}

  async findById(tenantId: string, sessionId: string): Promise<VirtualSession | null> {
    const row = this.state.sessions.get(rowKey(tenantId, sessionId));
    return row ? VirtualSession.rehydrate(structuredClone(row)) : null;
  }

  async findByAppointment(tenantId: string, appointmentId: string): Promise<VirtualSession | null> {
    const row = [...this.state.sessions.values()].find((s) => s.tenantId === tenantId && s.appointmentId === appointmentId);
    return row ? VirtualSession.rehydrate(structuredClone(row)) : null;
  }

  async insert(session: VirtualSession): Promise<void> {
    const s = session.snapshot();
    if (s.appointmentId !== null && (await this.findByAppointment(s.tenantId, s.appointmentId))) {
      throw new DomainError("APPOINTMENT_ALREADY_LINKED", "this appointment already has a virtual session");
    }
    const row = structuredClone({ ...s, version: 1 });
    this.state.sessions.set(rowKey(s.tenantId, s.id), row);
    this.journal.write(
      (committed) => committed.sessions.set(rowKey(s.tenantId, s.id), structuredClone(row)),
      // The unique index on (tenant, appointment), as a concurrent create that committed first meets it.
      (committed) => {
        const taken = [...committed.sessions.values()].some((c) => c.tenantId === s.tenantId && s.appointmentId !== null && c.appointmentId === s.appointmentId);
        if (taken) throw new DomainError("APPOINTMENT_ALREADY_LINKED", "this appointment already has a virtual session");
      },
    );
    await this.outbox.add(session.pullEvents());
    session.markSaved(1);
  }

  async save(session: VirtualSession, expectedVersion: number): Promise<void> {
    const s = session.snapshot();
    const key = rowKey(s.tenantId, s.id);
    const current = this.state.sessions.get(key);
    if (!current) throw new DomainError("NOT_FOUND", "session not found");
    if (current.version !== expectedVersion) {
      throw versionConflict("session", current.version, "concurrent");
    }
    const version = expectedVersion + 1;
    // The row's creation time is the stored one, as the PostgreSQL UPDATE never touches it.
    const row = structuredClone({ ...s, createdAt: current.createdAt, version });
    this.state.sessions.set(key, row);
    this.journal.write(
      (committed) => committed.sessions.set(key, structuredClone(row)),
      // PostgreSQL's UPDATE waits for a concurrent writer's row lock, then misses the version.
      (committed) => {
        const now = committed.sessions.get(key)?.version;
        if (now === undefined) throw notFound("session");
        if (now !== expectedVersion) throw versionConflict("session", now, "concurrent");
      },
    );
    await this.outbox.add(session.pullEvents());
    session.markSaved(version);
  }

  /** Memory transactions run one at a time, so allocation is already serialised. */
  async lockBackend(): Promise<void> {}

  async countRoomsInUse(tenantId: string, backendName: string, start: Date, end: Date): Promise<number> {
    return [...this.state.sessions.values()].filter(
      (s) =>
        s.tenantId === tenantId &&
        s.video.backend === backendName &&
        (s.status === "scheduled" || s.status === "in_progress") &&
        s.scheduledStart < end &&
        s.scheduledEnd > start,
    ).length;
  }
}
