import type { SessionChanges } from "./ports.js";

/**
 * Reads a session's state now and again after every committed change, and hands each answer to
 * `emit` until `emit` says it is done (or `stop` is called). Wakes that arrive while a read is in
 * flight coalesce into one more read, so a burst of changes costs at most two reads. `recheckMs`
 * re-reads even without a wake: a notification lost while the LISTEN connection reconnects
 * would otherwise leave a patient waiting forever.
 */
export function watchSession<T>(
  changes: SessionChanges,
  target: { tenantId: string; sessionId: string },
  read: () => Promise<T>,
  emit: (value: T) => boolean,
  fail: (err: unknown) => void,
  recheckMs: number,
): () => void {
  let stopped = false;
  let reading = false;
  let again = false;
  const wake = async () => {
    if (stopped) return;
    if (reading) {
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
  const timer = setInterval(() => void wake(), recheckMs);
  timer.unref?.();
  function stop() {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearInterval(timer);
  }
  void wake();
  return stop;
}
