import { DomainError } from "../../domain/errors.js";
import type { Clock } from "../../platform/ports.js";
import { assertUnexpired, type JoinCredential } from "../../platform/join-credential.js";

/** The largest single probe, either way: about 0.8 s of data at 10 Mbit/s. */
export const MAX_PROBE_BYTES = 1024 * 1024;
/** The smallest probe: the page times one to learn the round trip it then discounts. */
export const MIN_PROBE_BYTES = 1024;
/** Probes per participant, direction and minute: one check takes 4 or 5, so a re-test or two fit. */
export const PROBES_PER_MINUTE = 16;
/** Bytes per participant, direction and minute: one check at 10 Mbit/s moves a little over 1 MiB. */
export const PROBE_BYTES_PER_MINUTE = 4 * 1024 * 1024;

export type ProbeDirection = "down" | "up";

/**
 * The pre-call network check downloads filler bytes from the service and uploads filler to it, to
 * measure the patient's real throughput both ways. Only a holder of a valid, unexpired join token
 * may, within a size bound per probe and a count and byte budget per participant, direction and
 * minute, so the routes cannot be used to make the service send or swallow traffic at will. The
 * budget is per replica (in memory): a bound on abuse, not an accounting.
 */
export class BandwidthProbe {
  private readonly recent = new Map<string, Array<{ at: number; bytes: number }>>();

  constructor(private readonly deps: { clock: Clock }) {}

  /** Checks the token's expiry and the budget, books `bytes` (clamped to the bounds) and returns them. */
  authorize({ claims }: JoinCredential, bytes: number, direction: ProbeDirection = "down"): number {
    const now = this.deps.clock.now();
    assertUnexpired(claims, now);
    const size = Math.min(Math.max(MIN_PROBE_BYTES, Math.floor(bytes)), MAX_PROBE_BYTES);
    const key = `${claims.participantId}/${direction}`;
    const since = now.getTime() - 60_000;
    const probes = (this.recent.get(key) ?? []).filter((p) => p.at > since);
    const used = probes.reduce((sum, p) => sum + p.bytes, 0);
    if (probes.length >= PROBES_PER_MINUTE || used + size > PROBE_BYTES_PER_MINUTE) {
      throw new DomainError("RATE_LIMITED", "too many network checks; try again in a minute");
    }
    probes.push({ at: now.getTime(), bytes: size });
    this.recent.set(key, probes);
    if (this.recent.size > 20_000) this.forgetOld(since);
    return size;
  }

  private forgetOld(since: number): void {
    for (const [key, probes] of this.recent) if (!probes.some((p) => p.at > since)) this.recent.delete(key);
  }
}
