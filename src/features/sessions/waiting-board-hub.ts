import type { TenantSessionChanges, WaitingBoardQueries, WaitingEntry } from "./ports.js";

/** The most visits a board carries: a clinic with more people waiting at once has other problems. */
export const WAITING_BOARD_LIMIT = 200;

export interface WaitingBoard {
  items: Array<{ sessionId: string; patientId: string; sessionStatus: string; waiting: number; waitingSince: string }>;
}

type Listener = (board: WaitingBoard) => void;

interface TenantWatch {
  listeners: Set<Listener>;
  /** The last board read, as sent (JSON): a new listener gets it at once, an unchanged read is not sent. */
  last: string | null;
  board: WaitingBoard | null;
  reading: boolean;
  again: boolean;
  unsubscribe: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const toBoard = (entries: WaitingEntry[]): WaitingBoard => ({
  items: entries.map((e) => ({
    sessionId: e.sessionId,
    patientId: e.patientId,
    sessionStatus: e.sessionStatus,
    waiting: e.waiting,
    waitingSince: e.waitingSince.toISOString(),
  })),
});

/**
 * Who is waiting, per tenant, for every console list of that tenant at once. The first stream of a
 * tenant subscribes to its changes; each committed change costs ONE read, whose answer goes to
 * every open stream of the tenant (not one read per stream, as the per-visit streams do). Wakes
 * that arrive while a read is in flight fold into one more read. About every `recheckMs` it reads
 * even unwoken (a wake lost with a crashed replica). The last stream to leave unsubscribes.
 */
export class WaitingBoardHub {
  private readonly tenants = new Map<string, TenantWatch>();

  constructor(
    private readonly deps: {
      queries: WaitingBoardQueries;
      changes: TenantSessionChanges;
      recheckMs: number;
      /** A failed read: the streams keep what they have; the next change or re-check reads again. */
      onError: (err: unknown) => void;
    },
  ) {}

  /** `listener` gets the current board (at once when known) and each changed one; returns the unsubscribe. */
  watch(tenantId: string, listener: Listener): () => void {
    let watch = this.tenants.get(tenantId);
    if (!watch) {
      const created: TenantWatch = { listeners: new Set(), last: null, board: null, reading: false, again: false, unsubscribe: () => undefined, timer: undefined };
      created.unsubscribe = this.deps.changes.subscribeTenant(tenantId, () => void this.read(tenantId, created));
      this.tenants.set(tenantId, created);
      this.recheck(tenantId, created);
      watch = created;
      void this.read(tenantId, created);
    }
    watch.listeners.add(listener);
    if (watch.board) listener(watch.board);
    const own = watch;
    return () => {
      own.listeners.delete(listener);
      if (own.listeners.size > 0 || this.tenants.get(tenantId) !== own) return;
      this.tenants.delete(tenantId);
      own.unsubscribe();
      clearTimeout(own.timer);
    };
  }

  /** Open tenant watches (for tests and metrics): each costs one read per change, whatever its streams. */
  get watchedTenants(): number {
    return this.tenants.size;
  }

  private async read(tenantId: string, watch: TenantWatch): Promise<void> {
    if (watch.reading) {
      watch.again = true;
      return;
    }
    watch.reading = true;
    try {
      do {
        watch.again = false;
        const board = toBoard(await this.deps.queries.waitingBoard(tenantId, WAITING_BOARD_LIMIT));
        const json = JSON.stringify(board);
        if (json === watch.last) continue;
        watch.last = json;
        watch.board = board;
        for (const listener of watch.listeners) listener(board);
      } while (watch.again && this.tenants.get(tenantId) === watch);
    } catch (err) {
      this.deps.onError(err);
    } finally {
      watch.reading = false;
    }
  }

  private recheck(tenantId: string, watch: TenantWatch): void {
    // ±25 %: tenants watched since the same moment do not all re-read together.
    watch.timer = setTimeout(() => {
      if (this.tenants.get(tenantId) !== watch) return;
      void this.read(tenantId, watch);
      this.recheck(tenantId, watch);
    }, this.deps.recheckMs * (0.75 + Math.random() * 0.5));
    watch.timer.unref?.();
  }
}
