import type { Clock } from "../../src/platform/ports.js";

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current = new Date("2026-12-01T09:00:00Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
}
