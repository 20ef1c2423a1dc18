import { describe, expect, it } from "vitest";
import { ASYNC_VISIT_LIMITS, AsyncVisit } from "../../src/domain/async-visit.js";
import { isDomainError } from "../../src/domain/errors.js";

const now = new Date("2026-12-03T10:00:00Z");
const visit = () => {
  const v = AsyncVisit.submit(
    {
      id: "11111111-1111-4111-8111-111111111111",
      tenantId: "t1",
      patientId: "pat-1",
      providerId: "dr-1",
      sessionId: "22222222-2222-4222-8222-222222222222",
      submittedBy: { kind: "participant", id: "part-1" },
      text: "A private question",
      attachments: [],
      submittedAt: now,
    },
    [],
  );
  v.pullEvents();
  return v;
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isDomainError(err) ? err.code : String(err);
  }
  return "none";
};

describe("AsyncVisit.reply", () => {
  it("when a clinician replies, then the trimmed reply is kept, handed to the repository once, and announced with ids only", () => {
    const v = visit();
    const r = v.reply({ id: "r1", authorId: "dr-1", text: "  Rest and fluids.  " }, now);
    expect(r).toEqual({ id: "r1", authorId: "dr-1", text: "Rest and fluids.", repliedAt: now });
    expect(v.snapshot().replies).toEqual([r]);
    expect(v.takeAddedReplies()).toEqual([r]);
    expect(v.takeAddedReplies()).toEqual([]);
    const [event] = v.pullEvents();
    expect(event).toMatchObject({ type: "virtualcare.async_visit.replied.v1", aggregateId: v.id });
    expect(JSON.stringify(event)).not.toMatch(/Rest and fluids|private question/);
  });

  it("when the reply is blank or too long, then VALIDATION_FAILED and nothing is added", () => {
    const v = visit();
    expect(codeOf(() => v.reply({ id: "r1", authorId: "dr-1", text: " \n\t " }, now))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => v.reply({ id: "r2", authorId: "dr-1", text: "x".repeat(ASYNC_VISIT_LIMITS.maxReplyChars + 1) }, now))).toBe("VALIDATION_FAILED");
    expect(v.snapshot().replies).toEqual([]);
    expect(v.pullEvents()).toEqual([]);
  });

  it("when a visit already holds the most replies, then QUOTA_EXCEEDED; a reviewed visit still takes replies below it", () => {
    const v = visit();
    v.markReviewed("dr-1", now);
    for (let i = 0; i < ASYNC_VISIT_LIMITS.maxRepliesPerVisit; i++) v.reply({ id: `r${i}`, authorId: "dr-1", text: `answer ${i}` }, now);
    expect(codeOf(() => v.reply({ id: "one-more", authorId: "dr-1", text: "one more" }, now))).toBe("QUOTA_EXCEEDED");
    expect(v.snapshot().replies).toHaveLength(ASYNC_VISIT_LIMITS.maxRepliesPerVisit);
  });
});
