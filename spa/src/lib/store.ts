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

  /**
   * Adds the entries this browser does not hold yet (an entry for a track it holds keeps its
   * own token). Returns how many were added, or null if storage refused.
   */
  merge(entries: StoredUpload[]): number | null {
    const list = this.list();
    const held = new Set(list.map((e) => e.id));
    const added = entries.filter((e) => !held.has(e.id) && (held.add(e.id), true));
    if (!added.length) return 0;
    return this.write([...list, ...added].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) ? added.length : null;
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

// The API's tokens are base64url; anything else could not be sent in an Authorization header.
export const TOKEN = /^[A-Za-z0-9_~.+/=-]{16,200}$/;

/**
 * The private manage link of a track: its share link with the delete token in the fragment,
 * which browsers never send to a server (nor in a Referer).
 */
export function manageLink(shareURL: string, token: string): string {
  return `${shareURL}#delete=${encodeURIComponent(token)}`;
}

/** The delete token of a manage link's fragment ("#delete=TOKEN"), or null. */
export function manageToken(hash: string): string | null {
  const m = /^#delete=([^&#]+)$/.exec(hash);
  if (!m) return null;
  let token: string;
  try {
    token = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  return TOKEN.test(token) ? token : null;
}
