import { DomainError } from "../../domain/errors.js";
import type { Clock } from "../../platform/ports.js";
import { assertUnexpired, readJoinToken } from "./join-access.js";
import type { JoinTokenSignerPort } from "./ports.js";

/** The largest probe answer: at 150 kbps (the default threshold) it takes about 14 s. */
export const MAX_PROBE_BYTES = 256 * 1024;
/** Probes per participant per minute: a pre-call check needs two or three. */
export const PROBES_PER_MINUTE = 6;

/**
 * The pre-call network check downloads filler bytes from the service to measure the patient's real
 * throughput. Only a holder of a valid, unexpired join token may, within a size bound and a rate
 * per participant, so the route cannot be used to make the service send traffic at will. The
 * count is per replica (in memory): a bound on abuse, not an accounting.
 */
export class BandwidthProbe {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly deps: { signer: JoinTokenSignerPort; clock: Clock }) {}

  authorize(token: string | undefined, bytes: number): number {
    const { claims } = readJoinToken(this.deps.signer, token);
    const now = this.deps.clock.now();
    assertUnexpired(claims, now);
    const since = now.getTime() - 60_000;
    const times = (this.recent.get(claims.participantId) ?? []).filter((t) => t > since);
    if (times.length >= PROBES_PER_MINUTE) throw new DomainError("RATE_LIMITED", "too many network checks; try again in a minute");
    times.push(now.getTime());
    this.recent.set(claims.participantId, times);
    if (this.recent.size > 10_000) this.forgetOld(since);
    return Math.min(Math.max(1024, Math.floor(bytes)), MAX_PROBE_BYTES);
  }

  private forgetOld(since: number): void {
    for (const [id, times] of this.recent) if (!times.some((t) => t > since)) this.recent.delete(id);
  }
}
