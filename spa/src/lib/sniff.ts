// Decides, before anything is sent, whether a file is audio the server will accept: by MIME
// type or extension mapped onto the allow-list, and by the magic bytes at its start. The
// server checks again; this only spares people a doomed upload.

import { formatBytes } from './format';

export const DEFAULT_TYPES = [
  'audio/mpeg', 'audio/mp3', 'audio/ogg', 'audio/opus', 'audio/flac', 'audio/x-flac', 'audio/wav',
  'audio/x-wav', 'audio/wave', 'audio/vnd.wave', 'audio/mp4', 'audio/x-m4a', 'audio/m4a', 'audio/aac',
  'audio/webm', 'audio/aiff', 'audio/x-aiff',
];

const BY_EXTENSION: Record<string, string> = {
  mp3: 'audio/mpeg', mpga: 'audio/mpeg',
  ogg: 'audio/ogg', oga: 'audio/ogg',
  opus: 'audio/opus',
  flac: 'audio/flac',
  wav: 'audio/wav', wave: 'audio/wav',
  m4a: 'audio/mp4', m4b: 'audio/mp4', mp4: 'audio/mp4',
  aac: 'audio/aac',
  webm: 'audio/webm', weba: 'audio/webm',
  aif: 'audio/aiff', aiff: 'audio/aiff', aifc: 'audio/aiff',
};

function baseType(mime: string): string {
  return mime.split(';')[0].trim().toLowerCase();
}

export function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/**
 * The allow-listed type to declare for a file, or null. Browsers often give no type for
 * .flac, .m4a or .opus, or a non-audio one (video/mp4, application/ogg): then the extension decides.
 */
export function inferType(name: string, mime: string, allowed: readonly string[] = DEFAULT_TYPES): string | null {
  const t = baseType(mime || '');
  if (t && allowed.includes(t)) return t;
  const byExt = BY_EXTENSION[extension(name)];
  if (!byExt) return null;
  if (allowed.includes(byExt)) return byExt;
  // The server's list may name the same format differently (audio/x-flac, audio/x-wav, …).
  const alias = allowed.find((a) => a.endsWith('/x-' + byExt.split('/')[1]));
  return alias ?? null;
}

export type AudioFamily = 'mpeg' | 'aac' | 'ogg' | 'flac' | 'wav' | 'mp4' | 'aiff' | 'webm';

const ascii = (b: Uint8Array, at: number, s: string) => {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};

function mpegFrame(b: Uint8Array, i: number): AudioFamily | null {
  if (i + 3 >= b.length || b[i] !== 0xff) return null;
  const b1 = b[i + 1];
  if ((b1 & 0xf6) === 0xf0) return 'aac'; // ADTS: sync 0xFFF, layer 00 (FFF1, FFF9, FFF0, FFF8)
  if ((b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bitrate = b[i + 2] >> 4;
  const rate = (b[i + 2] >> 2) & 3;
  if (version === 1 || layer === 0 || bitrate === 15 || rate === 3) return null;
  return 'mpeg';
}

/** The audio container the bytes start with, or null. */
export function sniffAudio(b: Uint8Array): AudioFamily | null {
  if (ascii(b, 0, 'ID3')) return 'mpeg';
  if (ascii(b, 0, 'OggS')) return 'ogg';
  if (ascii(b, 0, 'fLaC')) return 'flac';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'wav';
  if (ascii(b, 0, 'RF64') && ascii(b, 8, 'WAVE')) return 'wav';
  if (ascii(b, 4, 'ftyp')) return 'mp4';
  if (ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC'))) return 'aiff';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  // Raw MPEG audio or ADTS, possibly after zero padding.
  let i = 0;
  while (i < b.length && i < 1024 && b[i] === 0) i++;
  return mpegFrame(b, i);
}

export interface Limits {
  maxUploadBytes: number;
  types: readonly string[];
}

export type Check = { ok: true; type: string } | { ok: false; reason: string };

export const SNIFF_BYTES = 4096;

/** Everything decided before hashing: size, declared type, magic bytes. */
export async function checkFile(file: Blob & { name: string }, limits: Limits): Promise<Check> {
  if (file.size === 0) return { ok: false, reason: 'empty file' };
  if (file.size > limits.maxUploadBytes) {
    return { ok: false, reason: `too large: ${formatBytes(file.size)}, the limit is ${formatBytes(limits.maxUploadBytes)}` };
  }
  const type = inferType(file.name, file.type, limits.types);
  if (!type) return { ok: false, reason: 'not an audio file this service accepts (MP3, AAC, Ogg, Opus, FLAC, WAV, M4A, AIFF or WebM)' };
  let head: Uint8Array;
  try {
    head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  } catch {
    return { ok: false, reason: 'the file could not be read' };
  }
  if (!sniffAudio(head)) return { ok: false, reason: 'not an audio file: its content does not look like audio' };
  return { ok: true, type };
}
