import { fileTypeFromBuffer } from "file-type";
import type { FileTypeDetector } from "../../features/async-visits/ports.js";

/** FileTypeDetector by magic numbers (the `file-type` library), never by name or declared type. */
export class MagicNumberFileTypeDetector implements FileTypeDetector {
  async detect(data: Uint8Array): Promise<string | null> {
    return (await fileTypeFromBuffer(data))?.mime ?? null;
  }
}
