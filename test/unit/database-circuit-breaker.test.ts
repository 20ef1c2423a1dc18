import { describe, expect, it } from "vitest";
import { DatabaseCircuitBreaker } from "../../src/adapters/postgres/connection/circuit-breaker.js";
import { isDatabaseUnavailable } from "../../src/platform/database-failure.js";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
const statementTimeout = Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });

function breaker() {
  let now = 0;
  const b = new DatabaseCircuitBreaker(1000, quiet, () => now);
  return { b, advance: (ms: number) => (now += ms) };
}

describe("the pool's circuit breaker (database known down → fail fast)", () => {
  it("when three connection failures come in a row, then checkouts are refused with an error that reads as the database being unavailable, naming the real cause", () => {
    const { b } = breaker();
    b.failed(refused);
    b.failed(refused);
    expect(b.refusal()).toBeNull();
    b.failed(refused);
    const refusal = b.refusal();
    expect(refusal).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(refusal)).toBe(true);
    expect(refusal!.cause).toBe(refused);
  });

  it("when a success comes between failures, or the failures are slow statements or not the database's, then it stays closed", () => {
    const { b } = breaker();
    b.failed(refused);
    b.failed(refused);
    b.succeeded();
    b.failed(refused);
    for (let i = 0; i < 5; i++) b.failed(statementTimeout);
    for (let i = 0; i < 5; i++) b.failed(new Error("duplicate key value violates unique constraint"));
    expect(b.refusal()).toBeNull();
    expect(b.isOpen).toBe(false);
  });

  it("when the cool-off has passed, then exactly one checkout is let through as a trial; its success closes the breaker, its failure reopens it", () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failed(refused);
    advance(999);
    expect(b.refusal()).not.toBeNull();
    advance(1);
    expect(b.refusal()).toBeNull(); // the trial
    expect(b.refusal()).not.toBeNull(); // others while it runs
    b.failed(refused);
    expect(b.refusal()).not.toBeNull(); // reopened at once, for another cool-off
    advance(1000);
    expect(b.refusal()).toBeNull();
    b.succeeded();
    expect(b.isOpen).toBe(false);
    expect(b.refusal()).toBeNull();
    expect(b.refusal()).toBeNull();
  });

  it("when the pool is busy (no free client in time) or open connections are reset, then it stays closed: busy is not down (issue 20, item 10)", () => {
    const { b } = breaker();
    const poolWait = new Error("timeout exceeded when trying to connect");
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    for (let i = 0; i < 5; i++) b.failed(poolWait);
    for (let i = 0; i < 5; i++) b.queryFailed(reset);
    for (let i = 0; i < 5; i++) b.queryFailed(new Error("Connection terminated unexpectedly"));
    expect(b.isOpen).toBe(false);
    expect(b.refusal()).toBeNull();
    // A reset while opening a connection, or an open one gone silent, still says "down".
    b.failed(reset);
    b.queryFailed(new Error("Query read timeout"));
    b.failed(refused);
    expect(b.isOpen).toBe(true);
  });

  it("when a trial ends on a busy pool, then it is no verdict: the next checkout may try again", () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failed(refused);
    advance(1000);
    expect(b.refusal()).toBeNull(); // the trial
    b.failed(new Error("timeout exceeded when trying to connect"));
    expect(b.refusal()).toBeNull(); // another trial, not refused for ever
  });
});
