import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { eventually } from "../support/nats.js";
import { createTestDatabase, suitePool, type TestDatabase } from "../support/postgres.js";
import { TcpProxy } from "../support/tcp-proxy.js";

/**
 * A LISTEN whose connection was lost reconnects in the background. Unlistening (shutdown, a
 * waiting-room stream closing its watch) while that reconnect is still connecting must not leave
 * the new connection listening for ever: nobody would hold it to end it.
 */
describe("LISTEN closed while it reconnects (PostgreSQL behind a TCP proxy)", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let database: Database;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-listen-"));

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await TcpProxy.for(db.url);
    database = await openDatabase({ databaseUrl: proxy.proxiedUrl(db.url), dataDir, migrate: false });
  });
  afterAll(async () => {
    await database?.close();
    await proxy?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when unlisten comes while the lost connection is being replaced, then no LISTEN connection is left once it connects", async () => {
    const owner = suitePool(db.url, 1);
    const listening = async () => {
      const { rows } = await owner.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %'");
      return rows[0].n as number;
    };
    try {
      const unlisten = await database.listen("vcs_test_channel", () => undefined);
      expect(await listening()).toBe(1);
      const before = proxy.accepted;
      proxy.hold();
      proxy.cut(); // the LISTEN connection is lost; its replacement is tried a second later
      await eventually("the reconnect to reach the proxy", () => proxy.accepted > before, 5_000, 20);
      await unlisten(); // while the replacement is still connecting (parked at the proxy)
      proxy.restore(); // it connects and listens after all
      // With the fix the replacement ends its connection right after connecting; without it the
      // connection stays, listening, and this wait fails. It is the only connection the proxy forwards.
      await eventually("the replacement connection to end", () => proxy.open === 0, 10_000, 20);
      // Its server process may still show for a moment after the socket closed.
      await eventually("no LISTEN connection left", async () => ((await listening()) === 0 ? true : undefined), 10_000, 100);
    } finally {
      proxy.restore();
      await owner.end();
    }
  });
});
