import { symbols } from "pino";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { serviceVersion } from "./composition/version.js";
import { DEMO_TENANT, devToken } from "./dev/demo.js";
import { createService, type Service } from "./composition/create-service.js";

/** `npm start`: read the configuration, build the service, listen, stop cleanly on a signal. */
export async function runCli(): Promise<void> {
  let config: Config;
  let service: Service;
  try {
    config = loadConfig();
    service = await createService(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  await service.warmUp();
  await service.app.listen({ port: config.port, host: config.host });
  const base = config.publicBaseUrl;
  service.app.log.info(startupSummary(config, service.database.kind), "started");
  if (config.mode === "development" && service.staffJwtSecret) {
    const token = await devToken(service.staffJwtSecret, DEMO_TENANT, ["clinician", "scheduler", "admin"]);
    // Plain text for a person at the terminal, not a structured log line — but written through the
    // log's own destination: pino writes asynchronously, so a separate stdout write could overtake
    // the start-up lines it is meant to follow.
    writeAfterLog(service.app.log,
      `\nVirtual Care Service (development defaults: ${service.database.kind}, ${config.natsUrl ? "NATS" : "no NATS"})\n` +
        `  docs:          ${base}/docs\n` +
        `  tenant:        ${DEMO_TENANT}\n` +
        // The token rides in the fragment: browsers never send it, so it reaches no server log.
        `  console:       ${base}/console?tenant=${DEMO_TENANT}#token=${token}\n` +
        `  bearer token:  ${token}\n\n`,
    );
  }
  process.once("SIGTERM", () => void shutdown(service, config.shutdown.drainMs, config.shutdown.timeoutMs, "SIGTERM"));
  // Ctrl-C at a terminal: nobody routes traffic here, so no drain period.
  process.once("SIGINT", () => void shutdown(service, 0, config.shutdown.timeoutMs, "SIGINT"));
}

/**
 * Readiness 503 at once (load balancers stop sending new work), keep serving for the drain period,
 * then close the HTTP server (in-flight requests finish), the relay, consumer and workers, and the
 * pool; exit 0 — or exit 1 when the deadline passes first. Every step is logged.
 */
async function shutdown(service: Service, drainMs: number, timeoutMs: number, signal: string): Promise<void> {
  const log = service.app.log;
  const deadline = setTimeout(() => {
    log.error({ timeoutMs }, "shutdown: deadline passed with work still open; exiting");
    process.exit(1);
  }, timeoutMs);
  deadline.unref();
  service.drain();
  log.info({ signal, drainMs }, "shutdown: readiness is 503; draining");
  await new Promise((resolve) => setTimeout(resolve, drainMs));
  log.info("shutdown: drain over; closing");
  await service.close();
  log.info("shutdown: done");
  process.exit(0);
}

/** Version, mode and targets, for the operator reading the first lines of a log; never a secret. */
function startupSummary(config: Config, database: string): Record<string, unknown> {
  const where = (url: string | undefined) => {
    if (!url) return undefined;
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.protocol.startsWith("postgres") ? u.pathname : ""}`;
  };
  return {
    version: serviceVersion(),
    node: process.version,
    mode: config.mode,
    listen: `${config.host}:${config.port}`,
    database: config.databaseUrl ? where(config.databaseUrl) : `${database} in ${config.dataDir}`,
    // NATS_URL may list every node of a cluster, comma-separated, with or without nats://.
    nats: config.natsUrl
      ? config.natsUrl.split(",").map((u) => where(/^\w+:\/\//.test(u.trim()) ? u.trim() : `nats://${u.trim()}`)).join(",")
      : "none (events stay in the outbox, logged by the dev sink)",
    traces: where(config.otlpEndpoint) ?? "off",
    fhir: where(config.fhirBaseUrl) ?? "embedded",
    aiGateway: where(config.aiGatewayUrl) ?? "disabled",
    docs: `${config.publicBaseUrl}/docs`,
  };
}

function writeAfterLog(log: unknown, text: string): void {
  const destination = (log as Record<symbol, { write?: (chunk: string) => void } | undefined>)[symbols.streamSym];
  if (destination?.write) destination.write(text);
  else process.stdout.write(text);
}
