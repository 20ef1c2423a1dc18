import { staffToken } from "./app.js";
import type { ServiceProcess } from "./service-process.js";

/** Licenses `tenant` with one backend (no health URL) on a service running as a child process. */
export async function configureTenantOn(service: ServiceProcess, tenant: string): Promise<void> {
  const admin = await staffToken(tenant, ["admin", "platform_admin"]);
  const res = await service.request("PUT", "/v1/tenant-config", admin, {
    licensed: true,
    consentRequired: false,
    videoBackends: [
      { name: "primary", provider: "jitsi", domain: "primary.meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef", healthUrl: null, maxConcurrentRooms: null },
    ],
  });
  if (res.status !== 200) throw new Error(`tenant config failed: ${res.status}`);
}

export interface Answer {
  status: number;
  /** -1 when no answer came within the client's own limit. */
  ms: number;
  contentType: string | null;
  retryAfter: string | null;
  body: any;
}

/** One HTTP call that never waits longer than `limitMs` (status 0: no answer, or the connection failed). */
export async function call(url: string, init: RequestInit & { limitMs?: number } = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.limitMs ?? 60_000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, ms: performance.now() - started, contentType: res.headers.get("content-type"), retryAfter: res.headers.get("retry-after"), body };
  } catch {
    return { status: 0, ms: -1, contentType: null, retryAfter: null, body: null };
  }
}

export function createSessionCall(baseUrl: string, token: string, appointmentId: string, limitMs?: number): Promise<Answer> {
  return call(`${baseUrl}/v1/sessions`, {
    method: "POST",
    limitMs,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      patientId: "patient-ops-1",
      providerId: "dr-ops-1",
      scheduledStart: "2026-12-01T10:00:00.000Z",
      scheduledEnd: "2026-12-01T10:30:00.000Z",
      appointmentId,
    }),
  });
}
