import { sql } from "drizzle-orm";
import type { DatabaseClockPort } from "../../../platform/worker-ports.js";
import type { Database } from "./database.js";

/** The database server's clock: clock_timestamp(), the time now (now() is the transaction's start). */
export function databaseClock(database: Database): DatabaseClockPort {
  return {
    now: async () => {
      const result = (await database.system.execute(sql`select clock_timestamp() as t`)) as unknown as { rows: Array<{ t: Date | string }> };
      const t = result.rows[0]?.t;
      if (t === undefined) throw new Error("the database returned no time");
      return t instanceof Date ? t : new Date(t);
    },
  };
}
