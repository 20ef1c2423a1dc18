import type { BackendHealth, VideoProviderHealthPort } from "../../features/sessions/ports.js";
import type { Clock } from "../../platform/ports.js";
import type { VideoBackend } from "../../domain/tenant-config.js";
import { resolvesToPublicAddresses } from "./address-guard.js";

const TIMEOUT_MS = 2000;

type Health = Omit<BackendHealth, "backend">;

/**
 * VideoProviderHealthPort: `GET healthUrl` (jicofo or videobridge `/about/health`) answering 2xx
 * within 2 s is healthy; no `healthUrl` counts as healthy. Answers are reused for
 * `cacheMs`, so a burst of creates does not hammer the bridge; and at most one probe per health
 * URL is in flight: callers arriving while it runs wait for its answer (a hung bridge would
 * otherwise collect one probe per create for the whole 2 s).
 */
export class JitsiHealthCheck implements VideoProviderHealthPort {
  private readonly cache = new Map<string, { at: number; result: Health }>();
  private readonly inFlight = new Map<string, Promise<Health>>();

  constructor(
    private readonly cacheMs: number,
    private readonly clock: Clock,
    /** Operators running bridges on their own network set VIDEO_HEALTH_ALLOW_PRIVATE=true. */
    private readonly allowPrivateAddresses = false,
  ) {}

  async check(backend: VideoBackend): Promise<BackendHealth> {
    if (!backend.healthUrl) return { backend: backend.name, healthy: true, detail: "no health URL configured" };
    const now = this.clock.now().getTime();
    const cached = this.cache.get(backend.healthUrl);
    if (cached && now - cached.at < this.cacheMs) return { backend: backend.name, ...cached.result };
    return { backend: backend.name, ...(await this.probeOnce(backend.healthUrl, now)) };
  }

  private probeOnce(url: string, now: number): Promise<Health> {
    let probing = this.inFlight.get(url);
    if (!probing) {
      // probeIfAllowed never rejects (every failure is an unhealthy answer), so neither does this.
      probing = this.probeIfAllowed(url).then((result) => {
        this.cache.set(url, { at: now, result });
        return result;
      });
      this.inFlight.set(url, probing);
      void probing.finally(() => this.inFlight.delete(url));
    }
    return probing;
  }

  private async probeIfAllowed(url: string): Promise<Health> {
    if (!this.allowPrivateAddresses) {
      const allowed = await resolvesToPublicAddresses(new URL(url).hostname).catch(() => false);
      // One answer for "private" and "does not resolve": the diagnostic must not map the network.
      if (!allowed) return { healthy: false, detail: "health URL does not resolve to a public address; not probed" };
    }
    return probe(url);
  }
}

async function probe(url: string): Promise<Health> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300
      ? { healthy: true, detail: `HTTP ${res.status}` }
      : { healthy: false, detail: `health check answered HTTP ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { healthy: false, detail: timedOut ? `no answer within ${TIMEOUT_MS} ms` : "health check could not connect" };
  }
}
