import { readFileSync } from "node:fs";

/** The service's version, from package.json: the start-up log line and the traces' resource. */
export function serviceVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
