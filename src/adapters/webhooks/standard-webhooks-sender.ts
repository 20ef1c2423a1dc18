import { Webhook } from "standardwebhooks";
import type { AttemptOutcome } from "../../domain/webhooks.js";
import type { WebhookSender } from "../../features/webhooks/ports.js";
import { AddressRefused, guardedRequest, type Resolve } from "../outbound-http/address-guard.js";
import { inHttpClientSpan } from "../opentelemetry/http-client-span.js";
import { withRemoteParent } from "../opentelemetry/trace-context.js";

export interface SenderOptions {
  /** WEBHOOK_ALLOW_PRIVATE: receivers on loopback/private addresses and plain http (tests, an operator's own network). */
  allowPrivate: boolean;
  /** The receiver's time to answer (Standard Webhooks recommends 15 to 30 s). */
  timeoutMs: number;
  userAgent: string;
  /** DNS resolution (tests pass a resolver that changes its answer, as a rebinding attacker would). */
  resolve?: Resolve;
}

/**
 * WebhookSender by the Standard Webhooks specification, signed with its reference library
 * (`standardwebhooks`): `webhook-id` (the event id, the same on every attempt), `webhook-timestamp`
 * (this attempt, Unix seconds), `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
 * `id.timestamp.body` with the decoded `whsec_` secret). The connection goes only to addresses the
 * SSRF guard passed, checked as it connects (DNS rebinding); redirects are not followed (3xx is a
 * failure, as the spec says). Each attempt is a CLIENT span in the trace of the write that produced
 * the event, and the receiver gets that span's `traceparent` (the write's own when the service does
 * not trace), so the receiver's work joins the trace.
 */
export class StandardWebhooksSender implements WebhookSender {
  constructor(private readonly o: SenderOptions) {}

  async send(r: { url: string; secret: string; messageId: string; body: string; traceparent: string | null; at: Date }): Promise<AttemptOutcome> {
    if (!this.o.allowPrivate && !r.url.startsWith("https://")) return { kind: "unreachable", reason: "https required" };
    const headers: Record<string, string> = {
      "content-type": "application/cloudevents+json; charset=utf-8",
      "user-agent": this.o.userAgent,
      "webhook-id": r.messageId,
      "webhook-timestamp": String(Math.floor(r.at.getTime() / 1000)),
      "webhook-signature": new Webhook(r.secret).sign(r.messageId, r.at, r.body),
      ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    };
    try {
      const post = (traceHeaders: Record<string, string>) =>
        guardedRequest(r.url, {
          method: "POST",
          headers: { ...headers, ...traceHeaders },
          body: r.body,
          timeoutMs: this.o.timeoutMs,
          allowPrivate: this.o.allowPrivate,
          resolve: this.o.resolve,
        });
      // A row written outside any trace (a worker's) makes no one-span trace of its own, as the relay's publish.
      const traceparent = r.traceparent;
      const { status, headers: answer } = traceparent ? await withRemoteParent(traceparent, () => inHttpClientSpan("POST", r.url, post)) : await post({});
      return { kind: "answered", status, retryAfterMs: retryAfterMs(answer["retry-after"], r.at) };
    } catch (err) {
      return { kind: "unreachable", reason: failureReason(err) };
    }
  }
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110); null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: Date): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** What the delivery log says of an attempt with no answer: the kind of failure, never an address. */
function failureReason(err: unknown): string {
  if (err instanceof AddressRefused) return "address not allowed";
  const e = err as { name?: string; code?: string };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out";
  if (e.code === "ECONNREFUSED") return "connection refused";
  if (e.code === "ECONNRESET") return "connection reset";
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return "name not resolved";
  if (typeof e.code === "string" && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(e.code)) return "TLS failed";
  return "connection failed";
}
