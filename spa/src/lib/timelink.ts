// Links to a moment of a track: "#t=1:23" (also "#t=83" and "#t=1h2m3s") in a track or embed
// URL starts playback there. The time rides in the fragment, so it never reaches a server (and
// a link card's cache key stays the track's own URL).

import { formatDuration } from './format';

const CLOCK = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;
const UNITS = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/;
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * "1:23" → 83, "1:02:03" → 3723, "83" → 83, "1h2m3s" → 3723, "2m" → 120. Anything else (empty,
 * negative, "1:75", letters) is null: a bad link plays from the start, as if it had no time.
 */
export function parseTime(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (!s) return null;
  if (SECONDS.test(s)) return Number(s);
  let m = CLOCK.exec(s);
  if (m) {
    const [h, min, sec] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
    // Minutes under an hour part, and seconds always, are below 60 ("1:75" is a typo, not 2:15).
    if (sec >= 60 || (m[1] !== undefined && min >= 60)) return null;
    return h * 3600 + min * 60 + sec;
  }
  m = UNITS.exec(s);
  if (m && (m[1] || m[2] || m[3])) return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return null;
}

/** The start time a URL fragment asks for ("#t=1:23", "#t=83&x=y"), or null when it names none. */
export function fragmentTime(hash: string): number | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const t = params.get('t');
  return t === null ? null : parseTime(t);
}

/**
 * A start time that a track of this duration can honour: null for none, for 0, and for a
 * time at or past the end (a link to the very end would play nothing; it plays from the start).
 */
export function startTime(t: number | null, duration: number): number | null {
  if (t === null || !Number.isFinite(t) || t < 1) return null;
  if (Number.isFinite(duration) && duration > 0 && t >= duration) return null;
  return t;
}

/**
 * The link to url at t seconds ("#t=1:23", or "#t=1:02:03"); under a second, the plain link.
 * Whatever fragment url had is dropped, never carried: a page opened with a private fragment
 * (a manage link's token) must not pass it on in a link made for sharing.
 */
export function linkAt(url: string, t: number): string {
  const i = url.indexOf('#');
  const base = i < 0 ? url : url.slice(0, i);
  const whole = Number.isFinite(t) ? Math.floor(t) : 0;
  // The colon stays as it is: it is legal in a fragment and reads better than "%3A".
  return whole >= 1 ? `${base}#t=${formatDuration(whole)}` : base;
}
