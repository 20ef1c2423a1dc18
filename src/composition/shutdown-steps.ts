import type { FastifyBaseLogger } from "fastify";
import { describeFailure } from "../platform/database-failure.js";

/**
 * What the service closes at shutdown, in reverse order of opening: the HTTP server first (its
 * requests in flight finish while workers and the pool are still there), the database last.
 * Each step is logged: an operator must see where a shutdown stopped.
 */
export class ShutdownSteps {
  private readonly steps: Array<[string, () => Promise<void>]> = [];
  private closing: Promise<void> | undefined;

  add(name: string, close: () => Promise<void>): void {
    this.steps.push([name, close]);
  }

  /** Once, however often it is called (a signal and a test's cleanup may both ask). */
  closeAll(log: FastifyBaseLogger): Promise<void> {
    return (this.closing ??= (async () => {
      for (const [name, close] of [...this.steps].reverse()) {
        await close().then(
          () => log.info({ step: name }, "shutdown: closed"),
          (err) => log.warn({ step: name, error: describeFailure(err) }, "shutdown: close failed"),
        );
      }
    })());
  }
}
