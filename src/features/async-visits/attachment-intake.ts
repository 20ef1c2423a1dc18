import { createHash } from "node:crypto";
import { ASYNC_VISIT_LIMITS, checkAttachment, type IncomingAttachment } from "../../domain/async-visit.js";
import { DomainError } from "../../domain/errors.js";
import type { IdGenerator } from "../../platform/ports.js";
import type { AttachmentStore, FileTypeDetector } from "./ports.js";
import type { UploadBudget } from "./upload-budget.js";

/** One file of a submission as it arrives: its bytes are read once, as they come. */
export interface ArrivingAttachment {
  filename: string;
  declaredType: string | null;
  bytes: AsyncIterable<Uint8Array>;
}

/** A received attachment: checked, hashed, its bytes staged under `id`. */
export interface StagedAttachment extends IncomingAttachment {
  id: string;
  sha256: string;
}

/**
 * Enough of a file's start to recognise its type (the `file-type` library reads up to 4,100
 * bytes for the types we accept).
 */
const RECOGNISE_BYTES = 4100;

/**
 * The receiving half of SubmitAsyncVisit: each attachment is checked and staged while it streams
 * in. Its type is recognised from its first bytes, so a file of the wrong kind is refused before
 * the rest of it is read; the size is counted as it arrives. A refused attachment's staged bytes
 * are discarded at once.
 */
export class AttachmentIntake {
  constructor(private readonly deps: { ids: IdGenerator; files: FileTypeDetector; attachments: AttachmentStore }) {}

  /** `budget`: the submission's upload quota, counted as the bytes arrive (upload-budget.ts). */
  async receive(tenantId: string, index: number, arriving: ArrivingAttachment, budget?: UploadBudget): Promise<StagedAttachment> {
    const id = this.deps.ids.uuid();
    const hash = createHash("sha256");
    const seen = { sizeBytes: 0, detectedType: null as string | null };
    const files = this.deps.files;
    const describe = (sizeBytes: number): IncomingAttachment => ({ filename: arriving.filename, declaredType: arriving.declaredType, sizeBytes, detectedType: seen.detectedType });

    async function* checked(): AsyncGenerator<Uint8Array> {
      const head: Uint8Array[] = [];
      let recognised = false;
      const recognise = async () => {
        const start = Buffer.concat(head);
        seen.detectedType = await files.detect(start);
        checkAttachment(describe(start.byteLength), index);
        recognised = true;
        return start;
      };
      for await (const piece of arriving.bytes) {
        seen.sizeBytes += piece.byteLength;
        if (seen.sizeBytes > ASYNC_VISIT_LIMITS.maxAttachmentBytes) {
          throw new DomainError("PAYLOAD_TOO_LARGE", `attachment ${index + 1} is larger than 5 MB`);
        }
        budget?.take(piece.byteLength);
        hash.update(piece);
        if (recognised) {
          yield piece;
          continue;
        }
        head.push(piece);
        if (seen.sizeBytes >= RECOGNISE_BYTES) yield await recognise();
      }
      if (!recognised && seen.sizeBytes > 0) yield await recognise();
    }

    try {
      await this.deps.attachments.stage(tenantId, id, checked());
      const received = describe(seen.sizeBytes);
      checkAttachment(received, index); // the whole file: empty or too large
      return { ...received, id, sha256: hash.digest("hex") };
    } catch (err) {
      await this.discard(tenantId, [id]);
      throw err;
    }
  }

  /** Best effort: what fails to go now is purged later (staged uploads expire). */
  async discard(tenantId: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.deps.attachments.discard(tenantId, ids).catch(() => undefined);
  }
}
