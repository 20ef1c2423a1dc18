import { describe, expect, it } from "vitest";
import { RelayHolds } from "../../src/workers/relay-holds.js";
import type { OutboxMessage } from "../../src/platform/worker-ports.js";

const row = (aggregateType: string, aggregateId: string, type: string): OutboxMessage => ({
  id: `${aggregateType}-${aggregateId}-${type}`,
  seq: 0,
  tenantId: "t",
  aggregateType,
  aggregateId,
  type,
  data: {},
  occurredAt: new Date(0),
  traceparent: null,
});
const streamOf = (type: string) => (type.startsWith("audit.") ? "AUDIT" : "VIRTUAL_CARE");

/** What the relay leaves out after a pass, on a clock the test moves (relay-holds.ts). */
describe("relay holds", () => {
  it("when a stream refuses everything it was offered while another takes events, then only that stream is held, probed after its backoff, and released once it takes one", () => {
    let now = 0;
    const holds = new RelayHolds(streamOf, 5000, () => now);
    const audit = row("audit", "s1", "audit.virtualcare.session.create");
    const created = row("session", "s1", "virtualcare.session.created.v1");
    const changes = holds.record({ published: [created], failed: [audit] });
    expect(changes.destinationsHeld).toEqual(["AUDIT"]);
    expect(holds.filter()).toEqual({ excludeTypes: ["audit.virtualcare.session.create"], excludeAggregates: ["audit/s1"] });
    expect(holds.probing()).toEqual([]);

    now += 5001;
    expect(holds.filter()).toEqual({ excludeTypes: [], excludeAggregates: [] });
    expect(holds.probing()).toEqual(["AUDIT"]);
    expect(holds.nextExpiryInMs()).toBeNull();

    expect(holds.record({ published: [audit], failed: [] }).destinationsReleased).toEqual(["AUDIT"]);
    expect(holds.probing()).toEqual([]);
  });

  it("when one row fails on a stream that takes the others, then only its aggregate is held and the stream stays open", () => {
    let now = 0;
    const holds = new RelayHolds(streamOf, 5000, () => now);
    const poisoned = row("session", "s1", "virtualcare.session.created.v1");
    const fine = row("session", "s2", "virtualcare.session.created.v1");
    const changes = holds.record({ published: [fine], failed: [poisoned] });
    expect(changes).toEqual({ destinationsHeld: [], destinationsReleased: [], aggregatesHeld: 1 });
    expect(holds.filter()).toEqual({ excludeTypes: [], excludeAggregates: ["session/s1"] });
    const wait = holds.nextExpiryInMs();
    expect(wait).toBeGreaterThan(0);
    now += wait!;
    expect(holds.filter().excludeAggregates).toEqual([]);
  });

  it("when a held stream keeps refusing its probes, then its backoff grows to the cap and no further", () => {
    let now = 0;
    const holds = new RelayHolds(streamOf, 5000, () => now);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      holds.record({ published: [], failed: [row("audit", `s${i}`, "audit.virtualcare.session.create")] });
      const wait = holds.nextExpiryInMs()!;
      waits.push(wait);
      now += wait;
    }
    expect(Math.max(...waits)).toBeLessThanOrEqual(5000);
    expect(waits.at(-1)!).toBeGreaterThanOrEqual(2500);
  });
});
