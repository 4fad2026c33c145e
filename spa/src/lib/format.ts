// Formatting of durations, sizes, speeds and expiry for display. Sizes use binary
// multiples with the familiar labels (2147483648 bytes is "2 GB"), as file managers do.

/** m:ss, or h:mm:ss from an hour on. Negative or non-finite input reads 0:00. */
export function formatDuration(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A track's total length: rounded to the nearest second rather than truncated. */
export function formatTotal(seconds: number): string {
  return formatDuration(Number.isFinite(seconds) ? Math.round(seconds) : 0);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

function trimmed(value: number): string {
  if (value >= 100) return String(Math.round(value));
  return value.toFixed(1).replace(/\.0$/, '');
}

/** 4812345 → "4.6 MB", 2147483648 → "2 GB", 1 → "1 byte". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '0 bytes';
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${Math.round(bytes)} bytes`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KB would print as "1024 KB": move up a unit instead.
  if (Math.round(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${trimmed(value)} ${UNITS[unit]}`;
}

/** Bytes per second → "3.1 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Whole percent, clamped to 0–100, floored so 100 % means really done. */
export function percent(done: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(done)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** "Expires in 13 days" (whole days left, floored), "Expires in 5 hours", "Expires in less than an hour". */
export function expiresIn(expiresAt: string | number | Date, now: number = Date.now()): string {
  const at = expiresAt instanceof Date ? expiresAt.getTime() : typeof expiresAt === 'number' ? expiresAt : Date.parse(expiresAt);
  if (!Number.isFinite(at)) return '';
  const left = at - now;
  if (left <= 0) return 'Expired';
  if (left >= DAY) {
    const days = Math.floor(left / DAY);
    return `Expires in ${days} ${days === 1 ? 'day' : 'days'}`;
  }
  if (left >= HOUR) {
    const hours = Math.floor(left / HOUR);
    return `Expires in ${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  }
  return 'Expires in less than an hour';
}

/** "1:31 of 3:00" for a slider's aria-valuetext. */
export function positionText(current: number, duration: number): string {
  return `${formatDuration(current)} of ${formatTotal(duration)}`;
}

/** Bitrate in bits per second → "320 kb/s". */
export function formatBitrate(bps: number): string {
  return `${Math.round(bps / 1000)} kb/s`;
}

/** Sample rate in Hz → "44.1 kHz", "48 kHz". */
export function formatSampleRate(hz: number): string {
  return `${(hz / 1000).toFixed(1).replace(/\.0$/, '')} kHz`;
}

export function formatChannels(n: number): string {
  if (n === 1) return 'mono';
  if (n === 2) return 'stereo';
  return `${n} channels`;
}

/** A calendar date in the reader's locale, e.g. "14 March 2025". */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', day: 'numeric' });
}
