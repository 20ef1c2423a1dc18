/**
 * CLIENT spans for the service's outgoing HTTP calls (FHIR, the AI gateway, video health checks),
 * by the OpenTelemetry HTTP client conventions: named `{method} {url.template}`, with the server's
 * address and port, the URL without its query (FHIR searches carry patient ids there), the status,
 * and `error.type` (the status, or the failure's class) when the call failed; the W3C trace context
 * goes out in the request's headers, so the called service can continue the trace. Through
 * @opentelemetry/api only: without tracing started these are no-ops and no header is added.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";

const tracer = () => trace.getTracer("virtual-care-service");

/**
 * Runs `call` in a CLIENT span for `method url`; `call` gets the trace-context headers to send,
 * and answers the response status. Every caller's URL path is a fixed template (a FHIR resource
 * type, an AI gateway endpoint, a configured health URL): it names no patient, so it is the span's
 * `url.template` as it is.
 */
export async function inHttpClientSpan<T extends { status: number } | number>(
  method: string,
  url: string | URL,
  call: (traceHeaders: Record<string, string>) => Promise<T>,
): Promise<T> {
  const target = new URL(url);
  const port = target.port ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
  const span = tracer().startSpan(`${method} ${target.pathname}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "http.request.method": method,
      "server.address": target.hostname.replace(/^\[|\]$/g, ""),
      "server.port": port,
      // Origin and path only: no query (patient ids), no user info.
      "url.full": `${target.protocol}//${target.host}${target.pathname}`,
      "url.template": target.pathname,
    },
  });
  const traceHeaders: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), traceHeaders);
  try {
    const result = await context.with(trace.setSpan(context.active(), span), () => call(traceHeaders));
    const status = typeof result === "number" ? result : result.status;
    span.setAttribute("http.response.status_code", status);
    if (status >= 400) failed(span, String(status));
    return result;
  } catch (err) {
    // The error's code (ECONNREFUSED, ABORT_ERR…) or class: what kind of failure, never its message.
    const code = (err as { code?: unknown }).code;
    failed(span, typeof code === "string" ? code : err instanceof Error ? err.name : "Error");
    throw err;
  } finally {
    span.end();
  }
}

/** `fetch` in a CLIENT span, the trace context added to its headers. */
export function tracedFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  return inHttpClientSpan(init.method ?? "GET", url, (traceHeaders) =>
    fetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers).entries()), ...traceHeaders } }),
  );
}

/** A failed call: ERROR with the kind of failure only (a message could quote what was sent). */
function failed(span: Span, errorType: string): void {
  span.setAttribute("error.type", errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
}
