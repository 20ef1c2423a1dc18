import { signal } from "../signal.js";

/**
 * Set when the service refused the console's credential (401) or its rights (403) on a stream or
 * a call: the console signs out and shows the sign-in again with the reason, instead of retrying.
 */
export const signInNeeded = signal<null | "expired" | "forbidden">(null);
