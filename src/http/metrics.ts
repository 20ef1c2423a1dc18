import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { isWarmUp } from "./warm-up.js";

/** Prometheus metrics on a registry of this app's own (no global state shared between test apps). */
export class HttpMetrics {
  private readonly duration;

  /** `registry`: the service's own, shared with the collectors the composition root adds. */
  constructor(readonly registry = new Registry()) {
    collectDefaultMetrics({ register: this.registry });
    this.duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route pattern, method and status",
    labelNames: ["method", "route", "status_code"] as const,
    // Up to the request bound and past it (HTTP_REQUEST_TIMEOUT_MS, 10 s by default): answers of
    // 12–20 s were measured under a slow database, and all of them fell in +Inf above 2.5 s.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      registers: [this.registry],
    });
  }

  install(app: FastifyInstance): void {
    // Callback style, not async: a hook on every answer should not cost a promise per request.
    app.addHook("onResponse", (req, reply, done) => {
      if (!isWarmUp(req)) {
        // The route pattern, never the concrete URL: ids would explode the label set.
        const route = req.routeOptions.url ?? "unmatched";
        this.duration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
      }
      done();
    });
  }
}
