// GET /api/stats as the stats page shows it (docs/api.md, "Operations"): the answer read
// defensively (a field that is missing, null, negative or of the wrong type becomes null and
// shows as "—"; nothing here throws), the hourly series shaped for uPlot, and the words and
// numbers of the page's text, which says everything the charts draw.
//
// The stats page imports nothing that the other pages load (lib/format included): a module
// shared with them would be split out of their common chunk and change their first-load bytes
// (scripts/budget.mjs checks that only this page loads the chart library).

export const STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type StatusName = (typeof STATUSES)[number];

export const STATUS_LABELS: Record<StatusName, string> = {
  pending: 'Pending',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
};

/** The contract's hourly series covers this many hours, oldest first. */
export const HOURS = 48;

export interface Hour {
  /** The hour's start, milliseconds since the epoch. */
  at: number;
  uploads: number | null;
  plays: number | null;
}

export interface Stats {
  tracks: Record<StatusName, number | null>;
  bytesStored: number | null;
  followers: number | null;
  last24h: {
    uploads: number | null;
    plays: number | null;
    downloads: number | null;
    bytesUploaded: number | null;
    failed: number | null;
    processing: { p50: number | null; p99: number | null; realtimeFactor: number | null };
  };
  /** Valid entries only, oldest first, one per hour, at most HOURS. */
  hourly: Hour[];
}

/** A finite, non-negative number, else null. */
export function amount(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The hourly entries that have a parseable hour, sorted oldest first, one per hour (the last
 * one given wins), the newest HOURS of them. Counts that are not numbers become null.
 */
export function parseHourly(v: unknown): Hour[] {
  if (!Array.isArray(v)) return [];
  const byHour = new Map<number, Hour>();
  for (const item of v) {
    const e = obj(item);
    const at = typeof e.hour === 'string' ? Date.parse(e.hour) : NaN;
    if (!Number.isFinite(at)) continue;
    byHour.set(at, { at, uploads: amount(e.uploads), plays: amount(e.plays) });
  }
  return [...byHour.values()].sort((a, b) => a.at - b.at).slice(-HOURS);
}

/** Reads an /api/stats answer; never throws. */
export function parseStats(raw: unknown): Stats {
  const r = obj(raw);
  const t = obj(r.tracks);
  const d = obj(r.last24h);
  const p = obj(d.processing);
  return {
    tracks: {
      pending: amount(t.pending),
      processing: amount(t.processing),
      ready: amount(t.ready),
      failed: amount(t.failed),
    },
    bytesStored: amount(r.bytesStored),
    followers: amount(r.followers),
    last24h: {
      uploads: amount(d.uploads),
      plays: amount(d.plays),
      downloads: amount(d.downloads),
      bytesUploaded: amount(d.bytesUploaded),
      failed: amount(d.failed),
      processing: { p50: amount(p.p50), p99: amount(p.p99), realtimeFactor: amount(p.realtimeFactor) },
    },
    hourly: parseHourly(r.hourly),
  };
}

/**
 * uPlot's data for the hourly chart: x is the middle of each hour in seconds since the epoch
 * (a bar stands for its whole hour, between the ticks of its start and end), then uploads and
 * plays.
 */
export function hourlySeries(hours: Hour[]): [number[], (number | null)[], (number | null)[]] {
  return [hours.map((h) => h.at / 1000 + 1800), hours.map((h) => h.uploads), hours.map((h) => h.plays)];
}

/** uPlot's data for the status chart: x is the status's index in STATUSES. */
export function statusSeries(tracks: Stats['tracks']): [number[], (number | null)[]] {
  return [STATUSES.map((_, i) => i), STATUSES.map((s) => tracks[s])];
}

/** uPlot's data for the processing time chart: x 0 is the median, 1 the 99th percentile. */
export function processingSeries(p: Stats['last24h']['processing']): [number[], (number | null)[]] {
  return [
    [0, 1],
    [p.p50, p.p99],
  ];
}

/** Where the reader is: the browser's locale and time zone unless a test pins them. */
export interface Locale {
  locale?: string;
  timeZone?: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function dateFormat(loc: Locale, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([loc.locale ?? '', loc.timeZone ?? '', opts]);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(loc.locale, { ...opts, timeZone: loc.timeZone });
    formatters.set(key, f);
  }
  return f;
}

/** The hour that starts at ms, in the reader's time: "Tue 14:00" (en-GB), "Tue 02:00 PM" (en-US). */
export function hourLabel(ms: number, loc: Locale = {}): string {
  if (!Number.isFinite(ms)) return '—';
  return dateFormat(loc, { weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** A time of day: "14:03". */
export function timeLabel(ms: number, loc: Locale = {}): string {
  if (!Number.isFinite(ms)) return '—';
  return dateFormat(loc, { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/**
 * An hourly axis tick: the weekday at the reader's midnight ("Wed"), which says where one day
 * ends, else the time ("06:00").
 */
export function tickLabel(ms: number, loc: Locale = {}): string {
  if (!Number.isFinite(ms)) return '';
  const parts = dateFormat(loc, { hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(ms);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  if (hour === 0 && minute === 0) return dateFormat(loc, { weekday: 'short' }).format(ms);
  return dateFormat(loc, { hour: 'numeric', minute: '2-digit' }).format(ms);
}

const DASH = '—';
const counts = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });

/** 1234 → "1,234"; null → "—". */
export function formatCount(n: number | null): string {
  return n === null ? DASH : counts.format(n);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes in binary multiples with the familiar labels, as the upload page writes them
 * (lib/format, not imported: see the top of this file): 123456789 → "117.7 MB".
 */
export function formatStorage(n: number | null): string {
  if (n === null) return DASH;
  if (n < 1024) return n === 1 ? '1 byte' : `${Math.round(n)} bytes`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // 1023.96 KB would print as "1024 KB": move up a unit instead.
  if (Math.round(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : oneDecimal.format(v)} ${UNITS[u]}`;
}

/** Seconds of processing: "0.4 s", "4.2 s", "31 s", "2 min 5 s"; null → "—". */
export function formatSeconds(s: number | null): string {
  if (s === null) return DASH;
  if (s < 9.95) return `${oneDecimal.format(s)} s`;
  const whole = Math.round(s);
  if (whole < 120) return `${whole} s`;
  const rest = whole % 60;
  return `${Math.floor(whole / 60)} min${rest ? ` ${rest} s` : ''}`;
}

/** Seconds of audio per second of processing: 38.5 → "38.5× realtime"; null → "—". */
export function formatFactor(f: number | null): string {
  return f === null ? DASH : `${oneDecimal.format(f)}× realtime`;
}

const plural = (n: number | null, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

const sum = (xs: (number | null)[]) => xs.reduce<number>((s, x) => s + (x ?? 0), 0);

/** The busiest hour of a series: the first hour with the highest non-zero count, or null. */
function busiest(hours: Hour[], key: 'uploads' | 'plays'): Hour | null {
  let best: Hour | null = null;
  for (const h of hours) {
    const n = h[key];
    if (n !== null && n > 0 && (best === null || n > (best[key] ?? 0))) best = h;
  }
  return best;
}

/**
 * What the hourly chart shows, in a sentence: the totals over the hours given and the busiest
 * hour of each. The table under it has every hour.
 */
export function hourlySummary(hours: Hour[], loc: Locale = {}): string {
  if (hours.length === 0) return 'No hourly figures are available.';
  const uploads = sum(hours.map((h) => h.uploads));
  const plays = sum(hours.map((h) => h.plays));
  const span = hours.length === 1 ? 'hour' : `${hours.length} hours`;
  const parts = [`${plural(uploads, 'upload', 'uploads')} and ${plural(plays, 'play', 'plays')} in the last ${span}.`];
  const bu = busiest(hours, 'uploads');
  const bp = busiest(hours, 'plays');
  if (bu) parts.push(`Most uploads: ${formatCount(bu.uploads)} at ${hourLabel(bu.at, loc)}.`);
  if (bp) parts.push(`Most plays: ${formatCount(bp.plays)} at ${hourLabel(bp.at, loc)}.`);
  return parts.join(' ');
}

/** The status chart in a sentence: "12 ready, 1 pending, 0 processing and 2 failed tracks." */
export function statusSummary(tracks: Stats['tracks']): string {
  const known = STATUSES.filter((s) => tracks[s] !== null);
  if (known.length === 0) return 'Track counts are not available.';
  const items = known.map((s) => `${formatCount(tracks[s])} ${s}`);
  const list = items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
  return `${list} ${known.length === 1 && tracks[known[0]] === 1 ? 'track' : 'tracks'}.`;
}

/** The processing chart in a sentence, or why there is no chart. */
export function processingSummary(p: Stats['last24h']['processing']): string {
  if (p.p50 === null && p.p99 === null) return 'No track was processed in the last 24 hours.';
  const parts: string[] = [];
  if (p.p50 !== null) parts.push(`half of the tracks took ${formatSeconds(p.p50)} or less`);
  if (p.p99 !== null) parts.push(`99 in 100 took ${formatSeconds(p.p99)} or less`);
  let s = `In the last 24 hours, ${parts.join('; ')}.`;
  if (p.realtimeFactor !== null) s += ` Processing ran at ${formatFactor(p.realtimeFactor)}.`;
  return s;
}

/** A nice upper bound for a count axis: at least 1, a little headroom above the highest value. */
export function countCeiling(values: (number | null)[]): number {
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  if (max <= 0) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * step >= max * 1.05) return m * step;
  }
  return 10 * step;
}

const HEX = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i;

/** CSS color-mix(in srgb, a p*100%, b) of two #rrggbb colours; a itself when either is not one. */
export function mix(a: string, b: string, p: number): string {
  const x = HEX.exec(a.trim());
  const y = HEX.exec(b.trim());
  if (!x || !y) return a;
  const c = [1, 2, 3].map((i) => Math.round(parseInt(x[i], 16) * p + parseInt(y[i], 16) * (1 - p)));
  return '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
}

export interface ChartColours {
  text: string;
  axis: string;
  grid: string;
  uploads: string;
  plays: string;
}

/**
 * The charts' colours from the page's --fg, --bg and --accent (a canvas cannot use CSS
 * variables): the same mixes as app.css's --muted and --line. Uploads are the accent, plays
 * the muted foreground, which keeps more than 3:1 against the background in both schemes.
 */
export function chartColours(fg: string, bg: string, accent: string): ChartColours {
  const ok = (c: string) => HEX.test(c.trim());
  const f = ok(fg) ? fg.trim() : '#1b1a19';
  const b = ok(bg) ? bg.trim() : '#fbfaf8';
  const a = ok(accent) ? accent.trim() : '#b93c0d';
  return { text: f, axis: mix(f, b, 0.68), grid: mix(f, b, 0.12), uploads: a, plays: mix(f, b, 0.68) };
}

/**
 * Why an answer of status (not 2xx) is no use, as the end of a sentence: "the server answered
 * 404: this service keeps no statistics." The API's own message is used when it has one (it is
 * safe to show, docs/api.md), shortened and without control characters.
 */
export function failureReason(status: number, body: unknown): string {
  const m = obj(obj(body).error).message;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const said = typeof m === 'string' ? m.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200).replace(/[.\s]+$/, '') : '';
  return said ? `the server answered ${status}: ${said}.` : `the server answered ${status}.`;
}

/** What the page knows: the last good answer and when, and the last failure if it came after. */
export interface LoadState {
  stats: Stats | null;
  updatedAt: number | null;
  /** Set when the latest attempt failed; cleared by the next success. */
  failure: { at: number; reason: string } | null;
}

/**
 * The page's two status lines: when the numbers are from (quiet), and a failure (announced
 * politely): the last numbers stay on the page, marked stale.
 */
export function loadText(s: LoadState, loc: Locale = {}): { updated: string; problem: string } {
  const updated = s.updatedAt === null ? (s.failure ? '' : 'Loading…') : `Updated at ${timeLabel(s.updatedAt, loc)}. Refreshes every minute.`;
  if (!s.failure) return { updated, problem: '' };
  const { at, reason } = s.failure;
  if (s.stats === null || s.updatedAt === null) {
    return { updated, problem: `The statistics could not be loaded: ${reason} Trying again every minute.` };
  }
  return {
    updated,
    problem: `Could not refresh at ${timeLabel(at, loc)}: ${reason} These numbers are from ${timeLabel(s.updatedAt, loc)} and may be stale.`,
  };
}
