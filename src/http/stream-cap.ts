import { DomainError } from "../domain/errors.js";
import type { Actor } from "../platform/ports.js";

/**
 * How many event streams one staff user may hold open on this replica, across every staff stream
 * route (issue 20: 1,500 streams on one visit from one token turned each change into 1,500 reads).
 * A console tab holds a stream or two; the cap leaves room for several tabs and reloads.
 *
 * Use from any staff stream route, before its first read (so a refused stream costs nothing):
 *
 *   const release = app.staffStreams.claim(req.actor);   // 429 RATE_LIMITED when at the cap
 *   try { first = await read(); } catch (err) { release(); throw err; }
 *   send.onClose(release);                                // free the slot when the stream ends
 */
export class StreamCap {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerUser: number) {}

  /** Takes a slot for this user; the returned function frees it (idempotent). */
  claim(actor: Actor): () => void {
    const key = userKey(actor);
    const count = this.open.get(key) ?? 0;
    if (this.maxPerUser > 0 && count >= this.maxPerUser) {
      throw new DomainError("RATE_LIMITED", `at most ${this.maxPerUser} event streams per user are open at once; close one (another tab?) first`);
    }
    this.open.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  /** Streams this user holds now (tests, diagnostics). */
  openFor(actor: Actor): number {
    return this.open.get(userKey(actor)) ?? 0;
  }
}

/** Per user within a tenant: a staff member, or a participant of one session (the patient's stream). */
function userKey(actor: Actor): string {
  switch (actor.kind) {
    case "staff":
      return `${actor.tenantId}\u0000staff:${actor.userId}`;
    case "participant":
      return `${actor.tenantId}\u0000participant:${actor.sessionId}/${actor.participantId}`;
    case "system":
      return `${actor.tenantId}\u0000system:${actor.name}`;
    case "anonymous":
      return `${actor.tenantId}\u0000anonymous`;
  }
}

declare module "fastify" {
  interface FastifyInstance {
    /** The per-user cap on open staff event streams (STREAMS_PER_USER). */
    staffStreams: StreamCap;
  }
}
