import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { PostgresSessionQueries } from "../../src/adapters/postgres/queries/session-queries.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { TcpProxy } from "../support/tcp-proxy.js";

/**
 * A pipelined read writes BEGIN, the read and COMMIT together, so when its connection goes silent
 * all three time out together. That is one silent connection, and must count as one failure: the
 * circuit breaker opens after three (circuit-breaker.ts), and one request must not open it alone.
 */
describe("one silent pipelined connection counts once toward the circuit breaker (PostgreSQL behind a proxy)", () => {
  let tdb: TestDatabase;
  let proxy: TcpProxy;
  let database: Database;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-pipe-silent-"));

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // Migrated directly; the service's connections go through the proxy.
    (await openDatabase({ databaseUrl: tdb.serviceUrl, migrationUrl: tdb.url, dataDir, migrate: true })).close();
    proxy = await TcpProxy.for(tdb.serviceUrl);
    // The client gives up 2 s after the statement timeout (connection.ts): about 2.3 s of silence.
    database = await openDatabase({ databaseUrl: proxy.proxiedUrl(tdb.serviceUrl), dataDir, migrate: false, poolSize: 2, statementTimeoutMs: 300, connectTimeoutMs: 1000 });
  });
  afterAll(async () => {
    proxy?.restore();
    await database?.close();
    await proxy?.stop();
    await tdb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when a read's connection goes silent, then that read fails with the read timeout, and the next read once the network is back is served, not refused as 'known down'", async () => {
    const queries = new PostgresSessionQueries(database.db, { now: () => new Date() });
    const id = "70000000-0000-4000-8000-000000000001";
    expect(await queries.get("t-silent", id)).toBeNull(); // a connection exists and works
    proxy.blackhole();
    await expect(queries.get("t-silent", id)).rejects.toThrow(/read timeout|Connection terminated/i);
    proxy.restore();
    expect(await queries.get("t-silent", id)).toBeNull();
  }, 20_000);
});
