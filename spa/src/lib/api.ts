// The Soundtime HTTP API as the pages use it (see docs/api.md). Errors arrive as
// {"error": {"code", "message"}}; the message is safe to show.

import { parseHandle } from './fediverse';
import { DEFAULT_TYPES } from './sniff';

export type Status = 'pending' | 'processing' | 'ready' | 'failed';

export interface Theme {
  background: string;
  foreground: string;
  accent: string;
}

export interface Track {
  id: string;
  url: string;
  status: Status;
  filename: string;
  type: string;
  size: number;
  createdAt?: string;
  uploadedAt?: string;
  expiresAt?: string;
  downloadable: boolean;
  public?: boolean;
  /** A public track's announcement to the fediverse was queued (when it became ready). */
  announced?: boolean;
  duration?: number;
  audio?: { codec?: string; bitrate?: number; sampleRate?: number; channels?: number };
  tags?: { title?: string; artist?: string; album?: string; year?: number; track?: number; genre?: string };
  cover?: string;
  preview?: string;
  stream?: string;
  /** stream is there: also while the track is still processing (an EVENT playlist that grows). */
  playable?: boolean;
  waveform?: string;
  theme?: Theme;
  error?: { code: string; message: string };
}

export interface CreateRequest {
  filename: string;
  type: string;
  size: number;
  /** Required for a single PUT; a multipart upload may send it with `complete` instead. */
  md5?: string;
  downloadable: boolean;
  public: boolean;
}

/** One PUT of the whole file, with exactly these headers. */
export interface PutPlan {
  method: 'PUT';
  url: string;
  expiresAt: string;
  headers: Record<string, string>;
}

/** Parts of partSize bytes (the last one shorter), each signed through `parts`. */
export interface MultipartPlan {
  method: 'MULTIPART';
  partSize: number;
  partCount: number;
  expiresAt: string;
}

export interface Created {
  id: string;
  url: string;
  status: Status;
  upload: PutPlan | MultipartPlan;
  deleteToken: string;
  expiresAt: string;
}

/** A part's presigned UploadPart request: the signature binds its MD5 and length. */
export interface SignedPart {
  number: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/** What storage holds of a multipart upload: the resume point. */
export interface PartsListing {
  partSize: number;
  partCount: number;
  uploaded: Array<{ number: number; etag: string; size: number }>;
}

export interface Config {
  maxUploadBytes: number;
  maxDurationSeconds: number;
  retentionDays: number;
  types: string[];
  /** Files larger than this go up in parts; absent when the server did not say. */
  multipartThreshold?: number;
  /**
   * The account that announces public tracks (`@tracks@HOST`); null when the server answered
   * without one (federation off); absent when the config could not be read (unknown).
   */
  fediverse?: string | null;
}

export const DEFAULT_CONFIG: Config = {
  maxUploadBytes: 2147483648,
  maxDurationSeconds: 14400,
  retentionDays: 14,
  types: DEFAULT_TYPES,
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request to the API: the parsed JSON answer, or an ApiError carrying the server's code and message. */
export async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { Accept: 'application/json', ...(init?.headers ?? {}) } });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? `The server answered ${res.status}.`);
  }
  return body as T;
}

export const trackPath = (id: string) => `/api/tracks/${encodeURIComponent(id)}`;
export const getTrack = (id: string) => call<Track>(trackPath(id));

export const createTrack = (req: CreateRequest) =>
  call<Created>('/api/tracks', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(req) });

export const deleteTrack = (id: string, token: string) =>
  call<void>(trackPath(id), { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });

export const downloadHref = (id: string) => `${trackPath(id)}/download?redirect=1`;

export const CONFIG_TIMEOUT_MS = 5000;

/**
 * The server's limits (and its fediverse account), or the built-in defaults (fediverse unknown)
 * when it cannot say within 5 s.
 */
export async function getConfig(timeoutMs = CONFIG_TIMEOUT_MS): Promise<Config> {
  const ctl = typeof AbortController === 'function' ? new AbortController() : undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Raced rather than left to an abort signal alone: older browsers ignore the signal, and a
  // stalled body must not keep the upload page from accepting files.
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      ctl?.abort();
      resolve(null);
    }, timeoutMs);
  });
  try {
    const c = await Promise.race([call<Partial<Config>>('/api/config', { signal: ctl?.signal }), timeout]);
    if (!c || typeof c !== 'object') return DEFAULT_CONFIG;
    return {
      maxUploadBytes: typeof c.maxUploadBytes === 'number' && c.maxUploadBytes > 0 ? c.maxUploadBytes : DEFAULT_CONFIG.maxUploadBytes,
      maxDurationSeconds: typeof c.maxDurationSeconds === 'number' ? c.maxDurationSeconds : DEFAULT_CONFIG.maxDurationSeconds,
      retentionDays: typeof c.retentionDays === 'number' ? c.retentionDays : DEFAULT_CONFIG.retentionDays,
      types: Array.isArray(c.types) && c.types.length ? c.types.filter((t) => typeof t === 'string') : DEFAULT_CONFIG.types,
      ...(typeof c.multipartThreshold === 'number' && c.multipartThreshold > 0 ? { multipartThreshold: c.multipartThreshold } : {}),
      fediverse: parseHandle(c.fediverse) ?? null,
    };
  } catch {
    return DEFAULT_CONFIG;
  } finally {
    clearTimeout(timer);
  }
}

/** Display title: the tagged title, else the file name. */
export const trackTitle = (t: Pick<Track, 'tags' | 'filename'>) => t.tags?.title?.trim() || t.filename;

const FORMAT_BY_EXT: Record<string, string> = {
  mp3: 'MP3', flac: 'FLAC', ogg: 'Ogg', oga: 'Ogg', opus: 'Opus', wav: 'WAV', m4a: 'M4A', mp4: 'M4A', aac: 'AAC',
  webm: 'WebM', weba: 'WebM', aif: 'AIFF', aiff: 'AIFF', aifc: 'AIFF',
};
const FORMAT_BY_TYPE: Record<string, string> = {
  'audio/mpeg': 'MP3', 'audio/mp3': 'MP3', 'audio/flac': 'FLAC', 'audio/x-flac': 'FLAC', 'audio/ogg': 'Ogg', 'audio/opus': 'Opus',
  'audio/wav': 'WAV', 'audio/x-wav': 'WAV', 'audio/wave': 'WAV', 'audio/vnd.wave': 'WAV', 'audio/mp4': 'M4A', 'audio/x-m4a': 'M4A',
  'audio/m4a': 'M4A', 'audio/aac': 'AAC', 'audio/webm': 'WebM', 'audio/aiff': 'AIFF', 'audio/x-aiff': 'AIFF',
};

/** The original file's format for labels: "MP3", "FLAC", … */
export function formatName(t: Pick<Track, 'filename' | 'type'>): string {
  const ext = t.filename.includes('.') ? t.filename.slice(t.filename.lastIndexOf('.') + 1).toLowerCase() : '';
  return FORMAT_BY_EXT[ext] ?? FORMAT_BY_TYPE[(t.type || '').split(';')[0].trim().toLowerCase()] ?? 'audio';
}
