import { notFound } from "../../domain/errors.js";
import { participantView, type ParticipantView } from "../../platform/session-view.js";
import type { SessionChanges } from "../../platform/ports.js";
import { watchSession } from "../../platform/session-watch.js";
import type { ParticipantQueries } from "./ports.js";

export type ParticipantList = { items: ParticipantView[] };

export interface ParticipantListener {
  /** The list after a change, with its JSON (computed once for every stream of the session). */
  next(list: ParticipantList, json: string): void;
  fail(err: unknown): void;
}

interface Watch {
  listeners: Set<ParticipantListener>;
  stop(): void;
  wake(): void;
}

/**
 * The participant lists that staff streams watch, one watcher per session however many streams
 * are open on it (issue 20: 1,500 streams on one visit turned one change into 1,500 reads and
 * 1,501 audit rows). Each stream is authorized and audited once, by the read that opens it
 * (GetParticipantList); what this feed pushes afterwards is that same access continuing, read
 * once per change for everyone.
 */
export class ParticipantFeed {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly deps: { queries: ParticipantQueries; changes: SessionChanges; recheckMs: number }) {}

  subscribe(tenantId: string, sessionId: string, listener: ParticipantListener): () => void {
    const key = `${tenantId}\u0000${sessionId}`;
    let watch = this.watches.get(key);
    if (watch) {
      // The subscriber's own first read may predate a change the watcher already pushed: one
      // more (coalesced) read brings it up to date.
      watch.wake();
    } else {
      watch = this.start(key, tenantId, sessionId);
    }
    const mine = watch;
    mine.listeners.add(listener);
    return () => {
      mine.listeners.delete(listener);
      if (mine.listeners.size === 0 && this.watches.get(key) === mine) {
        mine.stop();
        this.watches.delete(key);
      }
    };
  }

  /** Sessions watched now (tests, diagnostics). */
  get watched(): number {
    return this.watches.size;
  }

  private start(key: string, tenantId: string, sessionId: string): Watch {
    const listeners = new Set<ParticipantListener>();
    const read = async (): Promise<ParticipantList> => {
      const participants = await this.deps.queries.participants(tenantId, sessionId);
      if (!participants) throw notFound("session");
      return { items: participants.map(participantView) };
    };
    const handle = watchSession(
      this.deps.changes,
      { tenantId, sessionId },
      read,
      (list) => {
        const json = JSON.stringify(list);
        // A copy: a listener may unsubscribe while it is told.
        for (const l of [...listeners]) l.next(list, json);
        return true;
      },
      (err) => {
        if (this.watches.get(key) === watch) this.watches.delete(key);
        for (const l of [...listeners]) l.fail(err);
      },
      this.deps.recheckMs,
    );
    const watch: Watch = { listeners, stop: handle, wake: handle.wake };
    this.watches.set(key, watch);
    return watch;
  }
}
