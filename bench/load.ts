import autocannon from "autocannon";

export interface HttpRequest {
  method: "GET" | "POST" | "PUT";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  rate?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Answers that were not 2xx, and socket errors/timeouts: a run with any is not a valid figure. */
  failures: number;
}

/** Drives `url` with autocannon; `next` builds every single request (ids and tenants vary). */
export async function drive(url: string, next: () => HttpRequest, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
        },
      },
    ],
  });
  const ok = result["2xx"];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: ok,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
