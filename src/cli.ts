import { ConfigError, loadConfig, type Config } from "./config.js";
import { DEMO_TENANT, devToken, seedDemoTenant } from "./dev/demo.js";
import type { createService, Service } from "./main.js";

/** `npm start`: read the configuration, build the service, listen, stop cleanly on a signal. */
export async function runCli(create: typeof createService): Promise<void> {
  let config: Config;
  let service: Service;
  try {
    config = loadConfig();
    service = await create(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const embeddedDefaults = !config.databaseUrl && config.auth.kind === "dev";
  if (embeddedDefaults) await seedDemoTenant(service.database.db, config.dataDir, service.clock);
  await service.app.listen({ port: config.port, host: config.host });
  const base = config.publicBaseUrl;
  service.app.log.info(`API docs: ${base}/docs`);
  if (config.auth.kind === "dev" && service.staffJwtSecret) {
    const token = await devToken(service.staffJwtSecret, DEMO_TENANT, ["clinician", "scheduler", "admin"]);
    // Printed to stdout for a person at the terminal, not into the structured log.
    process.stdout.write(
      `\nVirtual Care Service (development defaults: ${service.database.kind}, ${config.natsUrl ? "NATS" : "no NATS"})\n` +
        `  docs:          ${base}/docs\n` +
        `  tenant:        ${DEMO_TENANT}\n` +
        // The token rides in the fragment: browsers never send it, so it reaches no server log.
        `  console:       ${base}/console?tenant=${DEMO_TENANT}#token=${token}\n` +
        `  bearer token:  ${token}\n\n`,
    );
  }
  const shutdown = async () => {
    await service.close();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
