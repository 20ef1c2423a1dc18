/**
 * W3C trace context across the outbox: captured when a row is written (inside the request's
 * span), continued when the relay publishes it and when a consumer handles an event. Through
 * @opentelemetry/api only: without tracing started (tracing.ts) these spans are no-ops and no
 * context is captured, so they cost next to nothing.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";

const tracer = () => trace.getTracer("virtual-care-service");

/** The active span's `traceparent` header value, or null when nothing is traced. */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Runs `work` in a span whose parent is the remote span named by `traceparent` (an outbox row's,
 * an incoming event's). Without one, a consumer starts a new trace (handling an event is a unit of
 * work an operator looks for), a producer none: rows written outside any trace (workers, start-up)
 * would each make a one-span trace. `work` gets the span's own `traceparent` (null when not
 * traced) to hand further downstream.
 */
export function inLinkedSpan<T>(
  name: string,
  kind: "producer" | "consumer",
  traceparent: string | null | undefined,
  attributes: Attributes,
  work: (traceparent: string | null) => Promise<T>,
): Promise<T> {
  if (kind === "producer" && !traceparent) return work(null);
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const span = tracer().startSpan(name, { kind: kind === "producer" ? SpanKind.PRODUCER : SpanKind.CONSUMER, attributes }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(currentTraceparent());
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds attributes to the span in progress (known only once the work is under way, e.g. the server a publish went to). */
export function annotateActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Runs `work` in an internal span (a use case) under whatever span is active. */
export function inSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `work` with the remote span named by `traceparent` as the active parent, so spans started
 * in it join that trace (a webhook delivery of an outbox row joins the row's write).
 */
export function withRemoteParent<T>(traceparent: string, work: () => Promise<T>): Promise<T> {
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), work);
}
