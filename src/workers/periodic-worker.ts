/**
 * A background loop: runs `task` every `intervalMs` (after the previous run finished) until
 * stopped. Runs inside one process are serialised, so `runOnce()` (tests, or a "kick" after an
 * upload) never overlaps the timer's run; across replicas the task itself must claim its work.
 */
export class PeriodicWorker<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<T>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running.catch(() => undefined);
  }

  /** Runs the task now (after any run in progress) and returns its result. */
  runOnce(): Promise<T> {
    const run = this.running.catch(() => undefined).then(() => this.task());
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Starts a run soon without waiting for it (errors go to `onError`). */
  kick(): void {
    if (this.stopped) return;
    this.runOnce().catch(this.onError);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch(this.onError)
        .finally(() => this.schedule());
    }, this.intervalMs);
    // Never keep a process alive just for the background loop.
    this.timer.unref();
  }
}
