// Delete tokens of tracks uploaded from this browser, kept in localStorage. A corrupt or
// foreign value is treated as an empty list; storage that refuses writes is tolerated.

export const STORE_KEY = 'soundtime.uploads';

export interface StoredUpload {
  id: string;
  url: string;
  filename: string;
  deleteToken: string;
  createdAt: string;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function valid(e: unknown): e is StoredUpload {
  if (!e || typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  return ['id', 'url', 'filename', 'deleteToken', 'createdAt'].every((k) => typeof o[k] === 'string') && (o.id as string) !== '';
}

export class TokenStore {
  constructor(private readonly storage: StorageLike | null) {}

  list(): StoredUpload[] {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(STORE_KEY) ?? null;
    } catch {
      return [];
    }
    if (!raw) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return [];
    }
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(valid).map(({ id, url, filename, deleteToken, createdAt }) => ({ id, url, filename, deleteToken, createdAt }));
  }

  /** Adds or replaces the entry with the same id; newest first. Returns false if storage refused. */
  add(entry: StoredUpload): boolean {
    return this.write([entry, ...this.list().filter((e) => e.id !== entry.id)]);
  }

  remove(id: string): boolean {
    return this.write(this.list().filter((e) => e.id !== id));
  }

  private write(list: StoredUpload[]): boolean {
    try {
      this.storage?.setItem(STORE_KEY, JSON.stringify(list));
      return !!this.storage;
    } catch {
      return false;
    }
  }
}

/** localStorage when the browser allows it (it throws in some privacy modes). */
export function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
