import type pg from "pg";
import type { CommitListener, CommitNotes } from "./commit-notes.js";
import { OUTBOX_CHANNEL } from "../messaging/outbox-relay-store.js";
import { SESSION_CHANNEL, sessionChangePayloads } from "./session-change-feed.js";

/** The local ends: the relay of this process and the waiting-room streams it serves. */
export interface LocalWaiters {
  /** Wakes this process's relay; false when it is not the leader (another replica relays). */
  wakeRelay(): boolean;
  sessionsChanged(keys: ReadonlyArray<[string, string]>): void;
  /** Wakes this process's webhook dispatcher (each replica runs one; others poll). */
  wakeWebhooks(): void;
}

/**
 * Tells who waits for a commit that it happened, without taxing the write itself. Replaces a
 * NOTIFY inside every writing transaction (a statement trigger on the outbox, a pg_notify per
 * session save): PostgreSQL serialises the commits of all notifying transactions on one global
 * lock, which cost about a third of the create path's throughput (BENCHMARKS.md).
 *
 * In process, the relay and the streams are woken directly. Other replicas hear one NOTIFY sent
 * after the commit, on its own: at most one in flight per process, and whatever is committed
 * while it is under way is folded into the next one, so under load it is one small notifying
 * transaction per round trip, not one per write. Nothing is sent for the outbox when this process
 * is the relay leader. A process that dies between its commit and its NOTIFY leaves the wake-up
 * to the relay's poll (RELAY_POLL_INTERVAL_MS) and the streams' periodic re-check.
 */
export class ChangeSignals implements CommitListener {
  private outboxPending = false;
  private sessionsPending: Array<[string, string]> = [];
  private sending: Promise<void> | null = null;
  private local: Partial<LocalWaiters> = {};

  constructor(
    /** Null on PGlite: one process owns the database, in-process signals are all there is. */
    private readonly pool: pg.Pool | null,
    /** This process's id in session payloads: its own streams were woken already. */
    private readonly origin: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * Who to wake in this process, told as each starts (the change feed with the adapters, the relay
   * with the workers); until then nothing waits here.
   */
  attach(local: Partial<LocalWaiters>): void {
    this.local = { ...this.local, ...local };
  }

  committed(notes: CommitNotes): void {
    if (notes.outbox) this.outboxWritten(notes.webhookCandidates);
    if (notes.sessions.length > 0) this.sessionsChanged(notes.sessions);
  }

  /**
   * `webhookCandidates`: false when no row some webhook endpoint subscribes to was written (audit
   * rows, events of tenants without a subscribing endpoint): the dispatcher has nothing to fan out,
   * and waking it per commit cost a fan-out and a claim transaction each (issue 23).
   */
  outboxWritten(webhookCandidates = false): void {
    if (webhookCandidates) this.local.wakeWebhooks?.();
    if (this.local.wakeRelay?.()) return;
    this.outboxPending = true;
    this.kick();
  }

  sessionsChanged(keys: ReadonlyArray<[string, string]>): void {
    this.local.sessionsChanged?.(keys);
    this.sessionsPending.push(...keys);
    this.kick();
  }

  /** Settles when what was committed so far has been announced: for shutdown. */
  async drain(): Promise<void> {
    await this.sending;
  }

  private kick(): void {
    if (!this.pool) {
      this.outboxPending = false;
      this.sessionsPending = [];
      return;
    }
    this.sending ??= this.send(this.pool);
  }

  private async send(pool: pg.Pool): Promise<void> {
    while (this.outboxPending || this.sessionsPending.length > 0) {
      const channels: string[] = [];
      const payloads: string[] = [];
      if (this.outboxPending) {
        channels.push(OUTBOX_CHANNEL);
        payloads.push("");
      }
      for (const payload of sessionChangePayloads(this.origin, this.sessionsPending)) {
        channels.push(SESSION_CHANNEL);
        payloads.push(payload);
      }
      this.outboxPending = false;
      this.sessionsPending = [];
      try {
        await pool.query({ name: "vcs_notify", text: NOTIFY, values: [channels, payloads] });
      } catch (err) {
        // The waiters' own polls catch up; a failed wake-up must not fail the committed request.
        this.onError(err);
      }
    }
    this.sending = null;
  }
}

/** Any number of notifications in one statement (one transaction), delivered at its commit. */
const NOTIFY = "select pg_notify(c, p) from unnest($1::text[], $2::text[]) as n(c, p)";
