// The file "Export tokens" saves and "Import tokens" reads: the delete tokens this browser keeps,
// moved to another. Apart from store.ts so that the track page, which reads the store, does not
// carry it.

import { TOKEN, type StoredUpload } from './store';

/** What an export file says it is, so an import can tell it from any other JSON. */
export const EXPORT_FORMAT = 'soundtime-delete-tokens';
/** Larger files are not read: thousands of tokens fit in far less. */
export const MAX_IMPORT_BYTES = 1024 * 1024;

const ID = /^[0-9A-Za-z]{6,32}$/;

/** The JSON file "Export" downloads: the tokens this browser keeps, with what to show for each. */
export function exportTokens(list: StoredUpload[], now: Date): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), uploads: list }, null, 2) + '\n';
}

export type ImportResult = { ok: true; entries: StoredUpload[]; skipped: number } | { ok: false; reason: string };

/**
 * Reads an export file (or the bare list, as kept in localStorage). Each entry must have an ID
 * and a token of the API's alphabets; its link is rebuilt on this origin (a link from the file is
 * never used: it could point anywhere, or be a javascript: URL), its name shortened to 255
 * characters. Entries that fail are skipped and counted; a file with none that passes is refused.
 */
export function parseImport(text: string, origin: string, now: Date): ImportResult {
  const notOurs = 'This file is not a Soundtime export of delete tokens. Choose the file that “Export tokens” saved.';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: notOurs };
  }
  let raw: unknown;
  if (Array.isArray(data)) raw = data;
  else if (data && typeof data === 'object' && (data as Record<string, unknown>).format === EXPORT_FORMAT) raw = (data as Record<string, unknown>).uploads;
  else return { ok: false, reason: notOurs };
  if (!Array.isArray(raw)) return { ok: false, reason: notOurs };
  const entries: StoredUpload[] = [];
  const seen = new Set<string>();
  for (const e of raw as unknown[]) {
    const o = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
    const { id, deleteToken, filename, createdAt } = o;
    if (typeof id !== 'string' || !ID.test(id) || typeof deleteToken !== 'string' || !TOKEN.test(deleteToken) || seen.has(id)) continue;
    seen.add(id);
    const when = typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) ? new Date(createdAt).toISOString() : now.toISOString();
    entries.push({
      id,
      url: `${origin}/t/${id}`,
      filename: typeof filename === 'string' && filename.trim() ? filename.slice(0, 255) : id,
      deleteToken,
      createdAt: when,
    });
  }
  const skipped = raw.length - entries.length;
  if (!entries.length) {
    return { ok: false, reason: raw.length ? 'None of the entries in this file is a valid delete token; nothing was imported.' : 'This file holds no delete tokens.' };
  }
  return { ok: true, entries, skipped };
}
