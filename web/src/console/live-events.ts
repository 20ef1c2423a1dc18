import { ApiError, readEvents, type Credential, type Init, type Operation, type StreamEventArgs, type StreamPath } from "../api.js";

/** First wait before reconnecting a dropped stream; it doubles each failed attempt up to the cap. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_CAP_MS = 30_000;

/**
 * Follows a Server-Sent Events stream for as long as `signal` lasts. A dropped stream is opened
 * again after 1 s, 2 s, 4 s … up to 30 s (each wait drawn between half and one and a half times
 * that, so a restarted server is not hit by every console at once), and after a stream that
 * delivered something the waits start over. 401 and 403 are not retried: the sign-in has ended or
 * lost its rights, and asking again every second would only fill the audit trail with refusals.
 */
export async function followEvents<P extends StreamPath>(
  cred: Credential,
  path: P,
  onEvent: (...args: StreamEventArgs<P>) => void,
  opts: { signal: AbortSignal; onDenied: (status: 401 | 403) => void; pause?: (ms: number, signal: AbortSignal) => Promise<void> } & Pick<
    Init<Operation<"GET", P>>,
    "path"
  >,
): Promise<void> {
  const { signal } = opts;
  const sleep = opts.pause ?? pause;
  let wait = RETRY_FIRST_MS;
  while (!signal.aborted) {
    let delivered = false;
    try {
      await readEvents(
        cred,
        path,
        (...args) => {
          delivered = true;
          onEvent(...args);
        },
        signal,
        // The caller's path parameters were typed against P above; TypeScript cannot follow them through the generic spread.
        ...([{ path: opts.path }] as never),
      );
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        if (!signal.aborted) opts.onDenied(err.status);
        return;
      }
    }
    if (signal.aborted) return;
    if (delivered) wait = RETRY_FIRST_MS;
    await sleep(wait * (0.5 + Math.random()), signal);
    wait = Math.min(wait * 2, RETRY_CAP_MS);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
