/**
 * The patient's side of the spec's OfflineQueuePort: a written visit that could not be sent is
 * kept in IndexedDB with the Idempotency-Key it was first tried with, and sent again when the
 * browser is back online. The key makes the service store it once however often it arrives.
 */
export interface QueuedVisit {
  key: string;
  text: string;
  files: File[];
}

const DB = "virtual-care";
const STORE = "outbox";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise((resolve, reject) => {
    const req = fn(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export const enqueue = (v: QueuedVisit) => tx("readwrite", (s) => s.put(v));
export const dequeue = (key: string) => tx("readwrite", (s) => s.delete(key));
export const queued = () => tx<QueuedVisit[]>("readonly", (s) => s.getAll());
