// What this browser remembers of its unfinished multipart uploads, so that dropping the same file
// again (after a reload, a closed tab, a crash) carries on from what storage holds. Kept in
// IndexedDB, one record per file, recognised by name, size and modification time, then by the
// MD5 of its first part (a file edited in place keeps its name and may keep its size). The
// record holds the track's delete token, as the list of this browser's uploads does.

import { ApiError, type Created, type MultipartPlan, type PartsListing, type Track } from './api';

export interface ResumeRecord {
  name: string;
  size: number;
  lastModified: number;
  firstPartMD5: string;
  created: Created & { upload: MultipartPlan };
  savedAt: string;
}

/** The few calls of a key-value store: IndexedDB in the browser, a Map in tests. */
export interface KV {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export type FileLike = Pick<File, 'name' | 'size' | 'lastModified' | 'slice'>;

export type Resumable =
  /** Storage holds these parts of the pending upload: send the others. */
  | { kind: 'pending'; created: ResumeRecord['created']; uploaded: PartsListing['uploaded'] }
  /** The upload was completed (the tab closed before it was forgotten): the track exists. */
  | { kind: 'completed'; created: ResumeRecord['created'] };

export const fileKey = (f: Pick<File, 'name' | 'size' | 'lastModified'>) => JSON.stringify([f.name, f.size, f.lastModified]);

function isRecord(v: unknown): v is ResumeRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Partial<ResumeRecord>;
  const c = r.created;
  return (
    typeof r.firstPartMD5 === 'string' &&
    !!c &&
    typeof c.id === 'string' &&
    typeof c.deleteToken === 'string' &&
    typeof c.url === 'string' &&
    c.upload?.method === 'MULTIPART' &&
    Number.isInteger(c.upload.partSize) &&
    c.upload.partSize > 0 &&
    Number.isInteger(c.upload.partCount)
  );
}

export class ResumeBook {
  constructor(
    private readonly kv: KV,
    /** Base64 MD5 of a blob (the file's first part). */
    private readonly md5: (blob: Blob) => Promise<string>,
    private readonly list: (id: string, token: string) => Promise<PartsListing>,
    private readonly track: (id: string) => Promise<Track>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers an upload just created, so that it can be resumed. */
  async save(file: FileLike, created: ResumeRecord['created']): Promise<void> {
    const firstPartMD5 = await this.md5(file.slice(0, created.upload.partSize));
    const rec: ResumeRecord = { name: file.name, size: file.size, lastModified: file.lastModified, firstPartMD5, created, savedAt: new Date(this.now()).toISOString() };
    await this.kv.set(fileKey(file), rec);
  }

  async forget(file: FileLike): Promise<void> {
    await this.kv.delete(fileKey(file));
  }

  /**
   * The unfinished upload of this very file, with what storage holds of it; null when there is
   * none to resume (never started here, another file by the same name, deleted or expired), in
   * which case the record is forgotten. A network failure rejects, and the record stays.
   */
  async find(file: FileLike): Promise<Resumable | null> {
    const rec = await this.kv.get(fileKey(file)).catch(() => undefined);
    if (rec === undefined || rec === null) return null;
    if (!isRecord(rec) || rec.name !== file.name || rec.size !== file.size || rec.lastModified !== file.lastModified) {
      await this.forget(file);
      return null;
    }
    const { created } = rec;
    if ((await this.md5(file.slice(0, created.upload.partSize))) !== rec.firstPartMD5) {
      await this.forget(file);
      return null;
    }
    let listing: PartsListing;
    try {
      listing = await this.list(created.id, created.deleteToken);
    } catch (err) {
      if (!(err instanceof ApiError && [403, 404, 409].includes(err.status))) throw err;
      // Not pending any more: completed (then the track is processing or done), or aborted or
      // expired (then it is gone).
      const t = err.status === 409 ? await this.track(created.id).catch(() => null) : null;
      await this.forget(file);
      return t && t.status !== 'pending' ? { kind: 'completed', created } : null;
    }
    if (listing.partSize !== created.upload.partSize || listing.partCount !== created.upload.partCount) {
      await this.forget(file);
      return null;
    }
    return { kind: 'pending', created, uploaded: listing.uploaded };
  }
}

const DB = 'soundtime';
const STORE = 'uploads';

/** The browser's IndexedDB as a KV; every call rejects where IndexedDB is unavailable. */
export function indexedDBStore(): KV {
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        db = null;
        reject(req.error ?? new Error('IndexedDB unavailable'));
      };
    }));
  const run = async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = (await open()).transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    return new Promise<T>((resolve, reject) => {
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    get: (key) => run('readonly', (s) => s.get(key)),
    set: async (key, value) => {
      await run('readwrite', (s) => s.put(value, key));
    },
    delete: async (key) => {
      await run('readwrite', (s) => s.delete(key));
    },
  };
}
