/**
 * `npm run bench:upload`: what concurrent async-visit uploads cost the service's memory (issue 11,
 * defect 6: attachments were buffered whole). Starts the service (built JS, child process,
 * PostgreSQL, its own role), then sends `--uploads=16` submissions at once, each 5 attachments of
 * 5 MB, every sender paced at `--mbps=8` MB/s (a phone on a good line: the upload lasts seconds,
 * as real ones do, so what the service holds per upload shows). Prints the service's RSS before
 * and its peak during the uploads, upload throughput, and one attachment's download time.
 * Figures only, no assertions (BENCHMARKS.md, "Streamed attachments").
 */
import { request } from "node:http";
import { parseArgs } from "node:util";
import { EmbeddedFhirServer } from "../src/adapters/fhir/embedded-fhir-server.js";
import { memoryMb, sampleRss } from "./child.js";
import { percentile } from "./report.js";
import { buildService, createBenchDatabase, licenseTenants, staffToken, startService } from "./service.js";

const { values: args } = parseArgs({ options: { uploads: { type: "string", default: "16" }, mbps: { type: "string", default: "8" } } });
const uploads = Number(args.uploads);
const bytesPerMs = (Number(args.mbps) * 1024 * 1024) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PNG header then noise: recognised as PNG, and no compression anywhere shrinks it. */
function photo(bytes: number, seed: number): Buffer {
  const head = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
  const data = Buffer.alloc(bytes);
  head.copy(data);
  for (let i = head.length; i < bytes; i += 4) data.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return data;
}

async function multipart(seed: number): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  form.append("text", "photos of the rash");
  form.append("patientId", `pat-${seed}`);
  form.append("providerId", "dr-bench");
  for (let i = 0; i < 5; i++) form.append("attachments", new Blob([new Uint8Array(photo(5 * 1000 * 1000, seed * 10 + i))], { type: "image/png" }), `p${i}.png`);
  const encoded = new Response(form);
  return { payload: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get("content-type")! };
}

/** Sends the body in 64 KiB pieces at the paced rate; resolves with the status and the answer. */
function paced(url: URL, token: string, body: { payload: Buffer; contentType: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: "/v1/async-visits", method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": body.contentType, "content-length": body.payload.length } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    void (async () => {
      const start = performance.now();
      for (let sent = 0; sent < body.payload.length; sent += 65536) {
        if (!req.write(body.payload.subarray(sent, sent + 65536))) await new Promise((r) => req.once("drain", r));
        await sleep(Math.max(0, start + (sent + 65536) / bytesPerMs - performance.now()));
      }
      req.end();
    })().catch(reject);
  });
}

async function main(): Promise<void> {
  buildService();
  const db = await createBenchDatabase();
  const fhir = new EmbeddedFhirServer();
  const service = await startService({ databaseUrl: db.serviceUrl, migrationUrl: db.url, fhirBaseUrl: await fhir.start(), dataDir: "/tmp/vcs-bench-upload" });
  try {
    const base = new URL(service.url);
    await licenseTenants(service.url, ["bench-tenant-000"]);
    const token = await staffToken("bench-tenant-000", ["clinician", "scheduler"]);
    const bodies = await Promise.all(Array.from({ length: uploads }, (_, i) => multipart(i)));
    const megabytes = bodies.reduce((n, b) => n + b.payload.length, 0) / 1024 / 1024;
    // One small submission first: the route and its modules are loaded before the figure starts.
    const warm = await paced(base, token, await multipart(999));
    if (warm.status !== 201) throw new Error(`warm-up answered ${warm.status}: ${warm.text}`);
    await sleep(1000);
    const before = memoryMb(service.pid, "VmRSS");
    const peak = sampleRss(service.pid);
    const t0 = performance.now();
    const answers = await Promise.all(bodies.map((b) => paced(base, token, b)));
    const seconds = (performance.now() - t0) / 1000;
    const peakRss = peak.stop();
    const refused = answers.filter((a) => a.status !== 201);
    if (refused.length > 0) console.log(`${refused.length} refused, e.g. ${refused[0]!.status} ${refused[0]!.text.slice(0, 200)}`);
    console.log(`${uploads} uploads of 5 × 5 MB at once (${megabytes.toFixed(0)} MB, each sender paced at ${args.mbps} MB/s) in ${seconds.toFixed(1)} s`);
    console.log(`service RSS: ${before.toFixed(0)} MB before, peak ${peakRss.toFixed(0)} MB during (+${(peakRss - before).toFixed(0)} MB)`);

    const visit = JSON.parse(answers.find((a) => a.status === 201)!.text).id as string;
    const listed = (await (await fetch(`${service.url}/v1/async-visits?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      items: Array<{ id: string; attachments: Array<{ id: string }> }>;
    };
    const attachment = listed.items.find((v) => v.id === visit)!.attachments[0]!.id;
    const times: number[] = [];
    for (let i = 0; i < 11; i++) {
      const d0 = performance.now();
      const file = await fetch(`${service.url}/v1/async-visits/${visit}/attachments/${attachment}`, { headers: { authorization: `Bearer ${token}` } });
      if ((await file.arrayBuffer()).byteLength !== 5_000_000) throw new Error("download incomplete");
      times.push(performance.now() - d0);
    }
    console.log(`download of one 5 MB attachment, median of 11: ${percentile(times.sort((a, b) => a - b), 50).toFixed(0)} ms`);
    console.log(`upload: uploads=${uploads} rss_before=${before.toFixed(0)}MB rss_peak=${peakRss.toFixed(0)}MB growth=${(peakRss - before).toFixed(0)}MB seconds=${seconds.toFixed(1)}`);
  } finally {
    await service.stop();
    await fhir.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
