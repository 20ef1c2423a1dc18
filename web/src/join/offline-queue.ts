/**
 * The patient's side of the spec's OfflineQueuePort: a written visit that could not be sent is
 * kept in IndexedDB with the Idempotency-Key it was first tried with, and sent again when the
 * browser is back online. The key makes the service store it once however often it arrives.
 *
 * IndexedDB is one per browser origin, and a phone is often shared: every item belongs to the
 * person who wrote it (tenant, visit and participant, as named by the join link they wrote it
 * under) and is only ever read, shown or sent under a link naming the same person. A link of
 * someone else — another patient, another clinic — never sees it.
 */
export interface QueuedVisit {
  key: string;
  /** Whose it is: `tenant session participant` of the join link it was written under. */
  owner: string;
  text: string;
  files: File[];
  /** When it was written (ms since the epoch): a very old one can no longer be accepted anyway. */
  queuedAt: number;
}

const DB = "virtual-care";
const STORE = "outbox";
const BY_OWNER = "by-owner";
const BY_TIME = "by-time";
/** The service takes a written visit until three days after the visit; a week is past any use. */
export const MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The person a join token names. The token's payload is readable (base64url JSON of
 * [version, tenant, session, participant, exp]); it is not verified here, and need not be: the
 * service accepts an item only with a token whose MAC verifies, that is, only for the person the
 * payload names. A token of another shape is its own owner (its SHA-256).
 */
export async function ownerOf(token: string): Promise<string> {
  try {
    const part = token.split(".")[1] ?? "";
    const claims = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    const [, tenant, session, participant] = claims;
    if ([tenant, session, participant].every((c) => typeof c === "string" && c)) return `${tenant} ${session} ${participant}`;
  } catch {
    // not the shape we know
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return `token ${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    // Version 2 ties items to their owner. Items of version 1 have none: nobody can tell whose they
    // are, and sending them under whichever link opens next is the defect this version fixes, so
    // they are dropped.
    const req = indexedDB.open(DB, 2);
    req.onupgradeneeded = (e) => {
      const db = req.result;
      if (e.oldVersion >= 1 && db.objectStoreNames.contains(STORE)) db.deleteObjectStore(STORE);
      const store = db.createObjectStore(STORE, { keyPath: "key" });
      store.createIndex(BY_OWNER, "owner");
      store.createIndex(BY_TIME, "queuedAt");
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise<T>((resolve, reject) => {
    const req = fn(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }).finally(() => db.close());
}

/** Deletes the items whose `index` key is in `range`, without reading them. */
function deleteWhere(db: IDBDatabase, index: string, range: IDBKeyRange): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = db.transaction(STORE, "readwrite");
    const req = t.objectStore(STORE).index(index).openKeyCursor(range);
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return;
      t.objectStore(STORE).delete(cursor.primaryKey);
      cursor.continue();
    };
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
  });
}

export const enqueue = (v: QueuedVisit) => tx("readwrite", (s) => s.put(v));

/** Deletes an item, only if it is `owner`'s. */
export async function dequeue(owner: string, key: string): Promise<void> {
  const item = await tx<QueuedVisit | undefined>("readonly", (s) => s.get(key));
  if (item?.owner === owner) await tx("readwrite", (s) => s.delete(key));
}

/**
 * `owner`'s items, oldest first. Anyone's items past MAX_AGE_MS are deleted first, unsent and
 * unread: the service would refuse them, and they should not linger on a shared device.
 */
export async function queuedFor(owner: string, now = Date.now()): Promise<QueuedVisit[]> {
  const db = await open();
  try {
    await deleteWhere(db, BY_TIME, IDBKeyRange.upperBound(now - MAX_AGE_MS, true));
    const mine = await new Promise<QueuedVisit[]>((resolve, reject) => {
      const req = db.transaction(STORE, "readonly").objectStore(STORE).index(BY_OWNER).getAll(owner);
      req.onsuccess = () => resolve(req.result as QueuedVisit[]);
      req.onerror = () => reject(req.error);
    });
    return mine.sort((a, b) => a.queuedAt - b.queuedAt);
  } finally {
    db.close();
  }
}

/** The visit is over for `token`'s person (ended, cancelled, removed): what they queued goes, unsent. */
export async function forgetQueued(token: string): Promise<void> {
  const owner = await ownerOf(token);
  const db = await open();
  try {
    await deleteWhere(db, BY_OWNER, IDBKeyRange.only(owner));
  } finally {
    db.close();
  }
}
