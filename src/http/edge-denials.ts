import type { AuditEntry } from "../platform/ports.js";

/**
 * Refused requests (401 before any use case: a bad staff bearer, or a join token that does not
 * verify) are audited per source, route and reason and per window, not per request:
 * 1,000 garbage tokens wrote 1,000 outbox rows and AUDIT messages. The first refusal of a
 * (client address, route) in a window is written at once, as it always was, so a probe is on
 * record durably; repeats are only counted, and when the window closes one summary entry says how
 * many there were. Counts live in memory: a crash loses at most one window's repeat count.
 */
export class EdgeDenialAggregator {
  private readonly windows = new Map<string, { entry: AuditEntry; source: string; repeats: number }>();
  private overflow = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (entry: AuditEntry) => Promise<void>,
    private readonly windowMs = 60_000,
    /** Distinct (source, route) pairs kept per window; beyond, refusals are only counted. */
    private readonly maxKeys = 10_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), windowMs);
    this.timer.unref();
  }

  /** Awaited by the request: the first refusal of a window is durable before the 401 goes out. */
  async record(source: string, entry: AuditEntry): Promise<void> {
    const key = `${source} ${entry.targets.route ?? ""} ${entry.reason ?? ""}`;
    const open = this.windows.get(key);
    if (open) {
      open.repeats++;
      return;
    }
    if (this.windows.size >= this.maxKeys) {
      this.overflow++;
      return;
    }
    this.windows.set(key, { entry, source, repeats: 0 });
    // The client address on the first row too (issue 20: only the window's summary carried it).
    await this.write({ ...entry, targets: { ...entry.targets, source } });
  }

  /** Closes the window: one summary per key that repeated, one for the overflow. */
  async flush(): Promise<void> {
    const closed = [...this.windows.values()];
    const overflow = this.overflow;
    this.windows.clear();
    this.overflow = 0;
    const windowSeconds = String(Math.round(this.windowMs / 1000));
    for (const { entry, source, repeats } of closed) {
      if (repeats === 0) continue;
      await this.write({ ...entry, targets: { ...entry.targets, source, repeated: String(repeats), windowSeconds } });
    }
    if (overflow > 0) {
      await this.write({
        actor: closed[0]?.entry.actor ?? { kind: "anonymous", tenantId: "_unauthenticated" },
        action: "auth.authenticate",
        outcome: "denied",
        targets: { route: "*", source: "*", repeated: String(overflow), windowSeconds },
        reason: "UNAUTHENTICATED",
      });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
