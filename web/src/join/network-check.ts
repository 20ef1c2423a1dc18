import { apiUrl, authHeaders, type Credential } from "../api.js";

/**
 * The pre-call network check: throughput down and up, measured against the service's probes.
 *
 * Each direction times one tiny probe (the round trip: request latency, first byte, server time)
 * and then bigger ones, and divides the extra bytes by the extra time. That discounts connection
 * set-up (a first, untimed probe opens the connection) and first-byte time, which made a 16 KiB
 * download on Regular 3G read as 91 kbit/s. The transfer grows until it lasts about a second or
 * reaches the probe route's 1 MiB bound, so a slow link is judged in a few seconds and a fast one
 * moves enough data to be measured. The routes enforce a byte budget per minute.
 */
export interface NetworkMeasurement {
  downKbps: number;
  upKbps: number;
  /** The slower direction: what decides whether video works. */
  kbps: number;
}

export type Verdict = "good" | "choppy" | "slow";

const TINY = 2 * 1024;
const FIRST = 16 * 1024;
const MAX = 1024 * 1024;
/** Enough data when the timed part lasts this long (ms). */
const TARGET_MS = 1000;
const ENOUGH_MS = 700;

/** Video is smooth from here: a 360p call sends and receives about this much. */
const GOOD_KBPS = 600;

/** good: video will work; choppy: it will work, with freezes; slow: below the clinic's threshold. */
export function verdictOf(kbps: number, thresholdKbps: number): Verdict {
  if (kbps < thresholdKbps) return "slow";
  return kbps < Math.max(GOOD_KBPS, 2 * thresholdKbps) ? "choppy" : "good";
}

export async function measureNetwork(cred: Credential): Promise<NetworkMeasurement> {
  const downKbps = await measure((bytes) => () => download(cred, bytes));
  const upKbps = await measure((bytes) => {
    const body = filler(bytes);
    return () => upload(cred, body);
  });
  return { downKbps: Math.round(downKbps), upKbps: Math.round(upKbps), kbps: Math.round(Math.min(downKbps, upKbps)) };
}

/** `prepare` builds what a transfer needs outside the timed part; the returned function transfers it. */
async function measure(prepare: (bytes: number) => () => Promise<void>): Promise<number> {
  await prepare(TINY)(); // opens (or warms) the connection: set-up time is not counted
  const base = await timed(prepare(TINY));
  let size = FIRST;
  for (;;) {
    const took = await timed(prepare(size));
    const extraMs = took - base;
    // bits per millisecond = kbit/s; a probe not slower than the tiny one is below timer precision
    const kbps = extraMs > 0 ? ((size - TINY) * 8) / extraMs : (size * 8) / Math.max(1, took);
    if (extraMs >= ENOUGH_MS || size >= MAX) return kbps;
    // Next: about a second of data at the rate just seen, at least twice the last size.
    size = Math.min(MAX, Math.max(size * 2, Math.round((kbps * TARGET_MS) / 8)));
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function download(cred: Credential, bytes: number): Promise<void> {
  const res = await fetch(apiUrl("GET", "/v1/join/probe", { query: { bytes } }), { headers: authHeaders(cred), cache: "no-store" });
  if (!res.ok) throw new Error(`probe ${res.status}`);
  await res.arrayBuffer();
}

async function upload(cred: Credential, body: Uint8Array<ArrayBuffer>): Promise<void> {
  const res = await fetch(apiUrl("POST", "/v1/join/probe"), {
    method: "POST",
    headers: { ...authHeaders(cred), "content-type": "application/octet-stream" },
    body,
    cache: "no-store",
  });
  if (!res.ok) throw new Error(`probe ${res.status}`);
  await res.arrayBuffer();
}

/** Random bytes, so a compressing proxy cannot make the link look faster than it is. */
function filler(bytes: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes));
  for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(bytes, at + 65_536)));
  return out;
}
