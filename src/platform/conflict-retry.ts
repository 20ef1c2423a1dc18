import { isDomainError } from "../domain/errors.js";

/**
 * Reruns `work` (a whole transaction: load, change, save) when a concurrent change to the same
 * session won the optimistic lock. Only for callers with no If-Match to honour — a patient's
 * browser cannot resolve a version conflict, and its commands are idempotent on reload.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isDomainError(err) || err.code !== "OPTIMISTIC_LOCK_CONFLICT") throw err;
    }
  }
}
