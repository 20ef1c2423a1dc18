// The network check's own thread: its transfers, timers and body reads never hold up the page
// (a 1 MiB upload body alone blocked Chromium's main thread for 100–170 ms while it was sent).
import type { Credential } from "../api.js";
import { measureNetwork } from "./network-check.js";

addEventListener("message", (e: MessageEvent<Credential>) => {
  measureNetwork(e.data).then(
    (m) => postMessage({ m }),
    (err: unknown) => postMessage({ error: String(err) }),
  );
});
