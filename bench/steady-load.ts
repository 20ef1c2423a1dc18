import { Agent, request } from "node:http";
import type { HttpRequest, LoadResult } from "./load.js";

/**
 * An open-loop load at a steady rate, for "p99 at half of peak". autocannon's own rate limit
 * lets each connection send its quota for the second as fast as it can, then pause until the
 * next second: the server sees full-speed bursts, so its "half rate" latency is the full-load
 * latency. Here requests leave evenly spaced (one every 1/rate s, caught up every millisecond),
 * on at most `connections` keep-alive sockets; a request waiting for a free socket counts that
 * wait in its latency, as a patient's browser would.
 */
export async function driveAtRate(
  url: string,
  next: () => HttpRequest,
  options: { rate: number; durationSeconds: number; connections: number },
): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let failures = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (r: HttpRequest): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = request(
        { agent, host: target.hostname, port: target.port, method: r.method, path: r.path, headers: r.headers },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - started);
            else failures += 1;
            resolve();
          });
        },
      );
      req.on("error", () => {
        failures += 1;
        resolve();
      });
      req.end(r.body);
    });
  const start = performance.now();
  const end = start + options.durationSeconds * 1000;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * options.rate);
    for (; sent < due; sent++) {
      const p = send(next());
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: latencies.length / options.durationSeconds, p50: pct(0.5), p99: pct(0.99), requests: latencies.length, failures };
}
