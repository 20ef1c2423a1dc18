/**
 * `node dist/migrate.js`: applies pending migrations as MIGRATION_DATABASE_URL's role (else
 * DATABASE_URL's), grants DATABASE_URL's role its access, and exits; what the
 * Kubernetes migration Job runs (deploy/k8s/migration-job.yaml), so replicas can start with
 * MIGRATE_ON_START=false. Exit 0 when the schema is current, 2 on a configuration error, 1 when
 * the database could not be reached or a migration failed.
 */
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { openDatabase } from "./adapters/postgres/connection/database.js";
import { ConfigError, loadConfig } from "./config.js";

export async function migrate(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  if (!config.databaseUrl) throw new ConfigError("DATABASE_URL is required to run migrations");
  const log = pino({ level: config.logLevel });
  // The same path as a service start (waits for the database, takes the migration lock), minus serving.
  const database = await openDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, migrate: true, ...config.database, log });
  await database.close();
  log.info({}, "migrations applied");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  migrate().then(
    () => process.exit(0),
    (err) => {
      console.error(`${err instanceof ConfigError ? "configuration error" : "migration failed"}: ${err instanceof Error ? err.message : "unknown error"}`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
