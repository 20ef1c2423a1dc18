import { and, eq, sql } from "drizzle-orm";
import type { TenantConfigRepository } from "../../../platform/ports.js";
import { versionConflict } from "../../../domain/errors.js";
import type { TenantConfig } from "../../../domain/tenant-config.js";
import { pgErrorCode, type Db } from "../connection/database.js";
import { untilCommit } from "../connection/pipelined-transaction.js";
import { tenantConfigs } from "../schema.js";
import { StatementCache } from "../connection/built-statement.js";
import { inTenant, readInTenant } from "../connection/tenant-scope.js";

type StoredConfig = Omit<TenantConfig, "tenantId" | "version">;

/** The config read (every create, every join-state command): its text built once, named. */
const statements = new StatementCache();
/** The guard of migration 0014: fails the transaction with this SQLSTATE, the version now in DETAIL. */
const CONFIG_CHANGED = "VC409";
/** The advisory lock class the guard shares and a save takes exclusively, per tenant (migration 0014). */
const CONFIG_LOCK_CLASS = 20261206;
const guard = () => ({ toSQL: () => ({ sql: "select virtual_care_assert_tenant_config($1, $2)", params: [sql.placeholder("tenantId"), sql.placeholder("version")] }) });
const byTenant = (db: Db) =>
  db.select({ version: tenantConfigs.version, config: tenantConfigs.config }).from(tenantConfigs).where(eq(tenantConfigs.tenantId, sql.placeholder("tenantId")));

export class PostgresTenantConfigRepository implements TenantConfigRepository {
  constructor(private readonly db: Db) {}

  async get(tenantId: string): Promise<TenantConfig | null> {
    // Without a field list drizzle hands back the driver's rows: objects keyed by column name.
    const { rows } = (await statements.run(this.db, "vcs_tenant_config", byTenant, { tenantId })) as { rows: Array<{ version: number; config: unknown }> };
    const row = rows[0];
    return row ? { ...(row.config as StoredConfig), tenantId, version: row.version } : null;
  }

  async assertVersion(tenantId: string, version: number): Promise<void> {
    // Nobody needs its answer: on a pipelined transaction it travels with the writes after it,
    // and its failure fails the commit (pipelined-transaction.ts).
    await untilCommit(this.db, statements.run(this.db, "vcs_tenant_config_guard", guard, { tenantId, version }), (err) => {
      const { code, detail } = pgErrorCode(err);
      return code === CONFIG_CHANGED ? versionConflict("tenant config", Number(detail ?? 0), "concurrent") : err;
    });
  }

  async save(config: TenantConfig, expectedVersion: number): Promise<TenantConfig> {
    const { tenantId, version: _ignored, ...stored } = config;
    const now = new Date();
    // Exclusive against the creates' guard (migration 0014): waits for creates that checked the
    // old version, and makes a create that checks meanwhile wait for this save's commit.
    await this.db.execute(sql`select pg_advisory_xact_lock(${CONFIG_LOCK_CLASS}::integer, hashtext(${tenantId}))`);
    const rows =
      expectedVersion === 0
        ? await this.db
            .insert(tenantConfigs)
            .values({ tenantId, version: 1, config: stored, updatedAt: now })
            .onConflictDoNothing()
            .returning({ version: tenantConfigs.version })
        : await this.db
            .update(tenantConfigs)
            .set({ version: expectedVersion + 1, config: stored, updatedAt: now })
            .where(and(eq(tenantConfigs.tenantId, tenantId), eq(tenantConfigs.version, expectedVersion)))
            .returning({ version: tenantConfigs.version });
    const saved = rows[0];
    if (!saved) {
      const current = await this.get(tenantId);
      throw versionConflict("tenant config", current?.version ?? 0, "concurrent");
    }
    return { ...config, version: saved.version };
  }
}

/**
 * The same repository outside a command (reads of the config, the create route's license check,
 * the pages' CSP): each call its own transaction scoped to the tenant it names.
 */
export class PooledTenantConfigRepository implements TenantConfigRepository {
  constructor(private readonly db: Db) {}

  get(tenantId: string): Promise<TenantConfig | null> {
    // One statement: BEGIN, the read and COMMIT in one round trip (tenant-scope.ts, readInTenant).
    return readInTenant(this.db, tenantId, (tx) => new PostgresTenantConfigRepository(tx).get(tenantId));
  }

  assertVersion(tenantId: string, version: number): Promise<void> {
    return inTenant(this.db, tenantId, (tx) => new PostgresTenantConfigRepository(tx).assertVersion(tenantId, version));
  }

  save(config: TenantConfig, expectedVersion: number): Promise<TenantConfig> {
    return inTenant(this.db, config.tenantId, (tx) => new PostgresTenantConfigRepository(tx).save(config, expectedVersion));
  }
}
