import { validationFailed } from "./errors.js";

/**
 * The instants the service stores: 1970 up to the last millisecond of 9999 (UTC). PostgreSQL
 * could hold more, but an ISO string of year 10000 (`+010000-…`) is neither valid ISO 8601 for
 * clients nor parsed back by the driver; before this bound such dates answered 500.
 */
export const FIRST_INSTANT_MS = 0;
export const LAST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isStorableInstant(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= FIRST_INSTANT_MS && t <= LAST_INSTANT_MS;
}

/** An ISO date-time from a request, or 400 naming the field (leap seconds and year 10000 included). */
export function parseInstant(value: string, path: string): Date {
  const d = new Date(value);
  if (!isStorableInstant(d)) {
    throw validationFailed(`${path.slice(1)} must be a date-time from 1970 to 9999 (UTC)`, [
      { path, message: "must be a date-time from 1970-01-01 to 9999-12-31T23:59:59.999Z (UTC), without a leap second" },
    ]);
  }
  return d;
}
