import { randomUUID } from "node:crypto";
import type { SessionChanges } from "../../../platform/ports.js";
import type { TenantSessionChanges } from "../../../features/sessions/ports.js";
import type { Database } from "../connection/database.js";

export const SESSION_CHANNEL = "virtual_care_session";
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7000;

/**
 * NOTIFY payloads for changed sessions: `{"o": origin, "s": [[tenantId, sessionId], …]}`, ids only,
 * as many as fit in one payload (change-signals.ts sends them after the commit).
 */
export function sessionChangePayloads(origin: string, keys: ReadonlyArray<[string, string]>): string[] {
  const payloads: string[] = [];
  let batch: Array<[string, string]> = [];
  let size = 0;
  for (const key of keys) {
    const length = JSON.stringify(key).length + 1;
    if (batch.length > 0 && size + length > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ o: origin, s: batch }));
      batch = [];
      size = 0;
    }
    batch.push(key);
    size += length;
  }
  if (batch.length > 0) payloads.push(JSON.stringify({ o: origin, s: batch }));
  return payloads;
}

/**
 * SessionChanges for the waiting-room streams: changes committed in this process arrive directly
 * (`changed`), other replicas' over LISTEN (one connection per replica), fanned out in memory.
 */
export class SessionChangeFeed implements SessionChanges, TenantSessionChanges {
  /** This process in the payloads it sends; its own notifications come back and are skipped. */
  readonly origin = randomUUID();
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Whole-tenant watchers (the console's waiting board): woken by a change to any of its sessions. */
  private readonly tenantWatchers = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | null = null;

  async start(database: Database): Promise<void> {
    // Back from a lost LISTEN connection: what changed meanwhile was not heard, so every watcher re-reads.
    this.unlisten = await database.listen(SESSION_CHANNEL, (payload) => this.received(payload), () => this.wakeAll());
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

  subscribeTenant(tenantId: string, onChange: () => void): () => void {
    let set = this.tenantWatchers.get(tenantId);
    if (!set) this.tenantWatchers.set(tenantId, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.tenantWatchers.delete(tenantId);
    };
  }

  /** Sessions changed by a transaction of this process that has committed. */
  changed(keys: ReadonlyArray<[string, string]>): void {
    for (const key of keys) for (const fn of this.watchers.get(JSON.stringify(key)) ?? []) fn();
    // A tenant watcher is woken once per batch, however many of its sessions it names.
    const tenants = new Set(keys.map(([tenantId]) => tenantId));
    for (const tenantId of tenants) for (const fn of this.tenantWatchers.get(tenantId) ?? []) fn();
  }

  private wakeAll(): void {
    for (const set of this.watchers.values()) for (const fn of set) fn();
    for (const set of this.tenantWatchers.values()) for (const fn of set) fn();
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
  }

  private received(payload: string): void {
    let message: { o?: unknown; s?: unknown };
    try {
      message = JSON.parse(payload) as { o?: unknown; s?: unknown };
    } catch {
      return; // not ours
    }
    if (message.o === this.origin || !Array.isArray(message.s)) return;
    this.changed(message.s.filter((k): k is [string, string] => Array.isArray(k) && k.length === 2 && k.every((x) => typeof x === "string")));
  }
}
