import type { Credential } from "../api.js";
import { measureNetwork, type NetworkMeasurement } from "./network-check.js";

/**
 * Runs the network check once the pre-call screen is on the phone's screen, on a thread of its own.
 *
 * Why it waits: the check moves about a second of data each way. Started with the page, it
 * competes with the page's own files and delays what the patient sees first; started after the
 * screen has painted (page loaded, a frame drawn, the browser idle), it costs the screen nothing.
 * Why a worker: reading a 1 MiB answer and sending a 1 MiB body are work for the thread that does
 * them; in a worker the page stays responsive while it measures. Where workers are missing, it
 * runs on the page.
 */
export async function runNetworkCheck(cred: Credential, signal: AbortSignal): Promise<NetworkMeasurement> {
  await screenPainted();
  if (signal.aborted) throw new Error("aborted");
  if (typeof Worker === "undefined") return measureNetwork(cred);
  const worker = new Worker(new URL("./network-check.worker.ts", import.meta.url), { type: "module" });
  try {
    return await new Promise<NetworkMeasurement>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      worker.addEventListener("message", (e: MessageEvent<{ m: NetworkMeasurement } | { error: string }>) =>
        "m" in e.data ? resolve(e.data.m) : reject(new Error(e.data.error)),
      );
      // The worker itself did not start (its script failed to load): measure on the page instead.
      worker.addEventListener("error", () => measureNetwork(cred).then(resolve, reject));
      worker.postMessage(cred);
    });
  } finally {
    worker.terminate();
  }
}

/** After `load`, the next frame painted, and a moment the browser is idle (at most half a second). */
function screenPainted(): Promise<void> {
  return new Promise((resolve) => {
    const idle = (fn: () => void) => (typeof requestIdleCallback === "function" ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 50));
    // A task queued from a frame callback runs once that frame is painted.
    const painted = () => requestAnimationFrame(() => setTimeout(() => idle(resolve), 0));
    if (document.readyState === "complete") painted();
    else addEventListener("load", painted, { once: true });
  });
}
