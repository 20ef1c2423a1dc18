import type { SessionChanges } from "./ports.js";

/**
 * Reads a session's state now and again after every committed change, and hands each answer to
 * `emit` until `emit` says it is done (or `stop` is called). Wakes that arrive while a read is in
 * flight coalesce into one more read, so a burst of changes costs at most two reads. About every
 * `recheckMs` (±25 %, so streams opened together do not re-read together) it re-reads even
 * without a wake: a wake lost to a replica that died between its commit and its signal would
 * otherwise leave a patient waiting forever. (A lost LISTEN connection wakes every watcher once
 * it is back, so the re-check is only for that rarer case.)
 *
 * `deferred`: subscribe now but read nothing until `start()`, for a caller that makes the first
 * read itself: a change that commits after its subscription and before `start()` costs one read
 * then; without one, `start()` reads nothing (the caller's read is current).
 */
/**
 * A stream re-reads about this often without being woken (only a wake lost to a crashed replica
 * needs it), so 10,000 open streams cost ~170 reads/s at idle, not ~670.
 */
export const STREAM_RECHECK_MS = 60_000;

export function watchSession<T>(
  changes: SessionChanges,
  target: { tenantId: string; sessionId: string },
  read: () => Promise<T>,
  emit: (value: T) => boolean,
  fail: (err: unknown) => void,
  recheckMs: number,
  options: { deferred?: boolean } = {},
): (() => void) & { wake(): void; start(): void } {
  let stopped = false;
  let held = options.deferred === true;
  let reading = false;
  let again = false;
  const wake = async () => {
    if (stopped) return;
    if (reading || held) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const value = await read();
        if (!stopped && !emit(value)) stop();
      } while (again && !stopped);
    } catch (err) {
      if (!stopped) {
        stop();
        fail(err);
      }
    } finally {
      reading = false;
    }
  };
  const unsubscribe = changes.subscribe(target.tenantId, target.sessionId, () => void wake());
  let timer: ReturnType<typeof setTimeout>;
  const recheck = () => {
    timer = setTimeout(() => {
      void wake();
      recheck();
    }, recheckMs * (0.75 + Math.random() * 0.5));
    timer.unref?.();
  };
  recheck();
  function stop() {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearTimeout(timer);
  }
  if (!held) void wake();
  const start = () => {
    if (!held) return;
    held = false;
    if (again) void wake();
  };
  // `wake`: a caller that knows of a change the feed may not have been told of (a new watcher).
  return Object.assign(stop, { wake: () => void wake(), start });
}
