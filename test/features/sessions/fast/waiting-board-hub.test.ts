import { describe, expect, it } from "vitest";
import type { TenantSessionChanges, WaitingEntry } from "../../../../src/features/sessions/ports.js";
import { WaitingBoardHub, type WaitingBoard } from "../../../../src/features/sessions/waiting-board-hub.js";

/** A tenant's change feed the test fires by hand, and a board read that counts its calls. */
function rig() {
  const watchers = new Map<string, Set<() => void>>();
  const changes: TenantSessionChanges = {
    subscribeTenant(tenantId, onChange) {
      const set = watchers.get(tenantId) ?? new Set();
      watchers.set(tenantId, set.add(onChange));
      return () => set.delete(onChange);
    },
  };
  const entries = new Map<string, WaitingEntry[]>();
  const reads: string[] = [];
  const hub = new WaitingBoardHub({
    queries: {
      waitingBoard: async (tenantId) => {
        reads.push(tenantId);
        return entries.get(tenantId) ?? [];
      },
    },
    changes,
    recheckMs: 3_600_000,
    onError: (err) => {
      throw err;
    },
  });
  const fire = (tenantId: string) => [...(watchers.get(tenantId) ?? [])].forEach((fn) => fn());
  const settle = () => new Promise((r) => setImmediate(r));
  return { hub, entries, reads, fire, settle, watchers };
}

const entry = (sessionId: string): WaitingEntry => ({
  sessionId,
  patientId: `p-${sessionId}`,
  sessionStatus: "scheduled",
  waiting: 1,
  waitingSince: new Date("2026-12-06T09:00:00Z"),
});

describe("WaitingBoardHub: one read per change per tenant, whatever the number of open lists", () => {
  it("when three lists of a tenant are open and a session changes, then one read answers all three", async () => {
    const r = rig();
    const got: WaitingBoard[][] = [[], [], []];
    const stops = got.map((list) => r.hub.watch("t1", (b) => list.push(b)));
    await r.settle();
    expect(r.reads).toEqual(["t1"]);
    expect(got.map((l) => l.length)).toEqual([1, 1, 1]);

    r.entries.set("t1", [entry("s1")]);
    r.fire("t1");
    await r.settle();
    expect(r.reads).toEqual(["t1", "t1"]);
    for (const list of got) expect(list.at(-1)!.items.map((i) => i.sessionId)).toEqual(["s1"]);

    // A change that leaves the board as it was is read but not sent again.
    r.fire("t1");
    await r.settle();
    expect(got.map((l) => l.length)).toEqual([2, 2, 2]);

    stops.forEach((stop) => stop());
    expect(r.watchers.get("t1")?.size ?? 0).toBe(0);
    expect(r.hub.watchedTenants).toBe(0);
  });

  it("when a list opens after the board is known, then it gets it at once without a read of its own", async () => {
    const r = rig();
    r.entries.set("t1", [entry("s1")]);
    const stop1 = r.hub.watch("t1", () => undefined);
    await r.settle();
    const late: WaitingBoard[] = [];
    const stop2 = r.hub.watch("t1", (b) => late.push(b));
    expect(late).toHaveLength(1);
    expect(r.reads).toEqual(["t1"]);
    stop1();
    stop2();
  });

  it("when changes arrive during a read, then they fold into one more read, not one each", async () => {
    const r = rig();
    const stop = r.hub.watch("t1", () => undefined);
    for (let i = 0; i < 5; i++) r.fire("t1");
    await r.settle();
    await r.settle();
    expect(r.reads.length).toBe(2);
    stop();
  });
});
