/**
 * Benchmark of the waiting-room poll (GET /v1/join/status), the hottest route: many waiting
 * patients polling at once. Boots the real service on a fresh PostgreSQL database, puts 50
 * patients in waiting rooms and polls with their tokens. Prints throughput, latency and the SQL
 * statements each poll costs. Run: npx tsx bench/join-status.ts [seconds] [connections]
 */
import autocannon from "autocannon";
import { bootApp, configureTenant, sessionBody, staffToken } from "../test/support/app.js";

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 20);

const app = await bootApp();
try {
  await configureTenant(app, "bench-clinic", { maxParticipants: 50 });
  const scheduler = await staffToken("bench-clinic", ["scheduler"]);
  const tokens: string[] = [];
  for (let i = 0; i < 50; i++) {
    const s = (await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ patientId: `p-${i}` }) })).json();
    const pid = s.participants[0].id;
    const t = (await app.request({ method: "POST", url: `/v1/sessions/${s.id}/participants/${pid}/join-token`, token: scheduler })).json().token;
    await app.request({ method: "POST", url: "/v1/join/validate", body: { token: t } });
    tokens.push(t);
  }
  const address = await app.service.app.listen({ port: 0, host: "127.0.0.1" });

  const pool = app.service.database.pool!;
  const original = pool.query.bind(pool);
  let statements = 0;
  (pool as unknown as { query: unknown }).query = (...args: Parameters<typeof original>) => {
    statements += 1;
    return original(...args);
  };

  let next = 0;
  const result = await autocannon({
    url: `${address}/v1/join/status`,
    connections,
    duration: seconds,
    requests: [{ method: "GET", setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-join-token": tokens[next++ % tokens.length]! } }) }],
  });
  const total = result.requests.total;
  console.log(`GET /v1/join/status, ${connections} connections, ${seconds}s, PostgreSQL:`);
  console.log(`  requests/s  avg ${result.requests.average.toFixed(0)}  (total ${total}, non-2xx ${result.non2xx})`);
  console.log(`  latency ms  p50 ${result.latency.p50}  p90 ${result.latency.p90}  p99 ${result.latency.p99}  max ${result.latency.max}`);
  console.log(`  SQL statements per poll: ${(statements / Math.max(total, 1)).toFixed(2)}`);
} finally {
  await app.close();
}
