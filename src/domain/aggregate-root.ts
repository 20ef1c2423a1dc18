import type { DomainEvent } from "./events.js";

/**
 * What every aggregate shares: its state (read through copies), the version the repository saved,
 * and the events recorded since the last save, which the repository writes to the outbox in the
 * same transaction.
 */
export abstract class AggregateRoot<S extends { id: string; version: number }> {
  private events: DomainEvent[] = [];

  protected constructor(protected state: S) {}

  get id(): string {
    return this.state.id;
  }
  get version(): number {
    return this.state.version;
  }
  /** A read-only view of the current state (a copy: callers cannot bypass the rules). */
  snapshot(): S {
    return structuredClone(this.state);
  }
  pullEvents(): DomainEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
  /** Called by the repository after a successful save. */
  markSaved(version: number): void {
    this.state.version = version;
  }
  protected recordEvent(event: DomainEvent): void {
    this.events.push(event);
  }
}
