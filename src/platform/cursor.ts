import { validationFailed } from "../domain/errors.js";

/** Page sizes of every list route. */
export const LIST_LIMIT = { default: 20, max: 100 } as const;

/** An opaque keyset cursor: the (time, id) of the last item of the page. */
export function encodeCursor(scheduledStart: Date, id: string): string {
  return Buffer.from(JSON.stringify([scheduledStart.toISOString(), id])).toString("base64url");
}

export function decodeCursor(cursor: string): { scheduledStart: Date; id: string } {
  try {
    const [start, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const scheduledStart = new Date(String(start));
    if (typeof start !== "string" || typeof id !== "string" || Number.isNaN(scheduledStart.getTime())) throw new Error();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Error();
    const year = scheduledStart.getUTCFullYear();
    if (year < 1970 || year > 9999) throw new Error();
    return { scheduledStart, id };
  } catch {
    throw validationFailed("cursor is not one this service issued", [{ path: "/cursor", message: "invalid cursor" }]);
  }
}
