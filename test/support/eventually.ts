/**
 * Polls `check` until it returns a value other than undefined/false; fails after `timeoutMs`.
 * What a test waits on instead of a fixed sleep: the condition, checked every `everyMs`, so it
 * returns as soon as it holds (and a slow machine gets up to `timeoutMs`).
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
