/**
 * What a transaction wrote that someone is waiting for (the outbox relay, waiting-room streams),
 * noted while it runs and announced only after it committed (never for a rolled-back one), so a
 * waiter never looks before the change is visible. Announcing is the CommitListener's business:
 * in process at once, to other replicas by NOTIFY (change-signals.ts).
 */
export class CommitNotes {
  outbox = false;
  /** Rows an endpoint of their tenant subscribes to (outbox-writer.ts marks them webhook-pending). */
  webhookCandidates = false;
  /** Sessions whose state changed, as `[tenantId, sessionId]`. */
  readonly sessions: Array<[string, string]> = [];

  outboxWritten(): void {
    this.outbox = true;
  }

  /** Rows some endpoint of their tenant subscribes to were written (the webhook dispatcher has work). */
  webhookEventsWritten(): void {
    this.webhookCandidates = true;
  }

  sessionChanged(tenantId: string, sessionId: string): void {
    this.sessions.push([tenantId, sessionId]);
  }
}

export interface CommitListener {
  committed(notes: CommitNotes): void;
}
