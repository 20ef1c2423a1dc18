import { sql } from "drizzle-orm";
import type { SessionChanges } from "../../features/join/ports.js";
import type { Database, Db } from "./database.js";

export const SESSION_CHANNEL = "virtual_care_session";

/**
 * Inside the saving transaction: PostgreSQL delivers a NOTIFY only when the transaction commits
 * (and never for a rolled-back one), to every replica listening, so a watcher never reads a change
 * before it is visible. The payload carries ids only.
 */
export async function notifySessionChanged(db: Db, tenantId: string, sessionId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${SESSION_CHANNEL}, ${JSON.stringify([tenantId, sessionId])})`);
}

/** SessionChanges over LISTEN: one connection per replica, fanned out to the watchers in memory. */
export class SessionChangeFeed implements SessionChanges {
  private readonly watchers = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | null = null;

  async start(database: Database): Promise<void> {
    this.unlisten = await database.listen(SESSION_CHANNEL, (payload) => this.dispatch(payload));
  }

  subscribe(tenantId: string, sessionId: string, onChange: () => void): () => void {
    const key = JSON.stringify([tenantId, sessionId]);
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.watchers.delete(key);
    };
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
  }

  private dispatch(payload: string): void {
    for (const fn of this.watchers.get(payload) ?? []) fn();
  }
}
