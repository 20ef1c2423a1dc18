import type { Config } from "../config.js";
import { buildAdapters } from "./adapters.js";
import { wireFeatures } from "./features.js";
import { buildApp } from "./http-app.js";
import { openInfrastructure } from "./infrastructure.js";
import type { Service, ServiceOverrides } from "./service.js";
import { ShutdownSteps } from "./shutdown-steps.js";
import { checkStartup } from "./startup-checks.js";
import { systemClock } from "./system-clock.js";
import { seedDemoTenant } from "../dev/demo.js";
import { warmUp } from "../http/warm-up.js";
import { startWorkers } from "./workers.js";

export type { Service, ServiceOverrides };

/**
 * The composition root, top to bottom: check the settings, open the infrastructure, build the
 * adapters, wire the features, build the HTTP app, start the workers. Each step gets what the
 * previous ones returned and adds its shutdown steps; nothing is patched in afterwards.
 */
export async function createService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const clock = overrides.clock ?? systemClock;
  // Key material and production settings are checked before anything is opened or written.
  const joinKeys = checkStartup(config);
  const shutdown = new ShutdownSteps();
  const infra = await openInfrastructure(config, overrides.logStream, shutdown);
  const adapters = await buildAdapters(config, infra, clock, joinKeys, shutdown);
  const features = wireFeatures(config, adapters);
  let draining = false;
  const { app, staffJwtSecret } = await buildApp(config, infra, adapters, features, () => draining, overrides.staffTokenClock ?? clock);
  // The quick start's demo tenant, before the relay starts: its events are relayed (and logged by
  // the dev sink) at once, not after the sign-in banner.
  if (config.mode === "development" && overrides.seedDemoTenant !== false) await seedDemoTenant(infra.database.db, config.dataDir, clock, config.demoVideo);
  const workers = startWorkers(config, infra, adapters, features, overrides, shutdown);
  // The HTTP server closes first (steps run in reverse): requests in flight finish while the
  // workers and the pool are still there.
  shutdown.add("HTTP server", () => app.close());
  return {
    app,
    database: infra.database,
    config,
    clock,
    staffJwtSecret,
    fhirBaseUrl: infra.fhirBaseUrl,
    workers,
    // Untraced: its requests are not traffic (their spans would be ~300 ERROR roots per start).
    warmUp: () => warmUp(app, infra.database.pool, config.database.poolSize, infra.tracing?.untraced),
    drain: () => {
      draining = true;
    },
    close: () => shutdown.closeAll(app.log),
  };
}
