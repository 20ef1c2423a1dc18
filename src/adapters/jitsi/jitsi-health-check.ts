import type { BackendHealth, VideoProviderHealthPort } from "../../features/sessions/ports.js";
import type { Clock } from "../../platform/ports.js";
import type { VideoBackend } from "../../domain/tenant-config.js";
import { guardedGet, type Resolve } from "../outbound-http/address-guard.js";
import { inHttpClientSpan } from "../opentelemetry/http-client-span.js";

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
    /** DNS resolution (tests pass a resolver that changes its answer, as a rebinding attacker would). */
    private readonly resolve?: Resolve,
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
    // The probe connects only to addresses the guard checked (DNS rebinding), and its answer is
    // only healthy or not: "refused", "timed out" or "HTTP 404" would make it a port scanner.
    try {
      const status = await inHttpClientSpan("GET", url, (headers) =>
        guardedGet(url, { timeoutMs: TIMEOUT_MS, allowPrivate: this.allowPrivateAddresses, resolve: this.resolve, headers }),
      );
      if (status >= 200 && status < 300) return { healthy: true, detail: "healthy" };
    } catch {
      // Refused, unresolvable, unreachable or slow: all the same answer.
    }
    return { healthy: false, detail: "unhealthy" };
  }
}
