import { validationFailed } from "../domain/errors.js";

/** `If-Match: "3"` (or W/"3") → 3; absent or `*` → undefined (no version check beyond the lock). */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m?.[1]) {
    throw validationFailed('If-Match must be the quoted session version, e.g. "3"', [
      { path: "/headers/if-match", message: "not a version" },
    ]);
  }
  return Number(m[1]);
}

export const etag = (version: number): string => `"${version}"`;
