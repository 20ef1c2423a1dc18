import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/nats.js";
import { PgFailoverRig, refusals } from "../support/pg-failover.js";

/**
 * Issue 22, item 2 (synchronous standby): the primary is killed hard under load, the standby
 * promoted and the fixed address repointed, without restarting the service. With a synchronous
 * standby a 201 means the standby had the commit, so nothing acknowledged may be missing.
 */
describe("PostgreSQL primary lost, synchronous standby promoted (two clusters made by the test, service as a child process)", () => {
  let rig: PgFailoverRig;
  beforeAll(async () => {
    rig = await PgFailoverRig.start(true);
  }, 90_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it("when the primary dies and the standby takes over, then no acknowledged write is missing, no event is lost or doubled, and requests in the gap answer 503 with Retry-After", async () => {
    const run = await rig.failoverUnderLoad();
    const acknowledged = run.answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
    await eventually("the new primary's outbox to drain", async () => (await rig.onNewPrimary()).pending === 0, 60_000, 200);
    const after = await rig.onNewPrimary();
    const streamIds = await rig.streamIds();
    const writesLost = acknowledged.filter((id) => !after.sessionIds.has(id)).length;
    const figures = {
      acknowledged: acknowledged.length,
      writesLost,
      refused: refusals(run),
      eventsCommitted: after.outboxIds.length,
      eventsPublished: streamIds.length,
      eventsLost: after.outboxIds.filter((id) => !streamIds.includes(id)).length,
      eventsDuplicated: streamIds.length - new Set(streamIds).size,
      firstWriteAfterPromotionMs: run.firstWriteMs,
    };
    console.log(`[postgres-failover-sync] ${JSON.stringify(figures)}`);

    expect(writesLost).toBe(0);
    expect(figures.eventsDuplicated).toBe(0);
    expect([...new Set(streamIds)].sort()).toEqual([...after.outboxIds].sort());
    // Nothing hung: every request was answered, and a refusal is a 503 that says when to retry.
    expect(run.answers.filter((a) => a.status === 0)).toEqual([]);
    for (const [key, r] of Object.entries(figures.refused)) {
      expect(key).toBe("503 DATABASE_UNAVAILABLE");
      expect(r.withRetryAfter).toBe(r.count);
    }
    expect(rig.service.running, "the service must not need a restart").toBe(true);
  }, 110_000);
});
