import { DomainError } from "../../domain/errors.js";

/** One quota an upload counts against: its key (a participant, a tenant) and the bytes it has left. */
export interface QuotaLeft {
  key: string;
  bytes: number;
}

/**
 * The bytes uploads are staging right now on this replica, per quota. The quota check before an
 * upload can only trust a declared Content-Length, which a chunked request does not send (issue
 * 20: 174 MiB were written before a 30 MB quota refused them at commit). So the budget is also
 * enforced as the bytes arrive, and uploads of one submitter running side by side share it.
 */
export class UploadLedger {
  private readonly inFlight = new Map<string, number>();

  /** A budget for one request, against what its quotas had left when it was checked. */
  open(limits: readonly QuotaLeft[]): UploadBudget {
    return new UploadBudget(this, limits);
  }

  staging(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  add(key: string, bytes: number): void {
    const total = this.staging(key) + bytes;
    if (total > 0) this.inFlight.set(key, total);
    else this.inFlight.delete(key);
  }
}

export class UploadBudget {
  private taken = 0;
  private closed = false;

  constructor(
    private readonly ledger: UploadLedger,
    private readonly limits: readonly QuotaLeft[],
  ) {}

  /** Counts `bytes` more of this upload; QUOTA_EXCEEDED (429) once a quota would be passed. */
  take(bytes: number): void {
    for (const { key, bytes: left } of this.limits) {
      if (this.ledger.staging(key) + bytes > left) {
        throw new DomainError("QUOTA_EXCEEDED", "the attachments are larger than what is left of the upload quota");
      }
    }
    for (const { key } of this.limits) this.ledger.add(key, bytes);
    this.taken += bytes;
  }

  /** Once the submission committed or failed: its bytes are then in the database, or gone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { key } of this.limits) this.ledger.add(key, -this.taken);
  }
}
