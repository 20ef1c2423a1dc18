import type { ChildProcess } from "node:child_process";

/** Signals a child (kill -9 by default, as in a crash) and resolves once it has exited. */
export function stopProcess(p: ChildProcess | null, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill(signal);
  });
}
