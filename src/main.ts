/**
 * The entry point (`npm start`, the container's command): read the configuration, build the
 * service (composition/create-service.ts), listen, stop cleanly on a signal (cli.ts).
 */
import { runCli } from "./cli.js";

runCli().catch((err) => {
  console.error("failed to start:", err instanceof Error ? err.message : "unknown error");
  process.exit(1);
});
