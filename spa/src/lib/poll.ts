// When the track pages ask the server again. Every read slides the track's expiry, so a page
// must not keep asking: it polls only while the track is processing (every 2 s at first,
// backing off to 10 s, for at most 30 minutes), and once ready re-checks only when it becomes
// visible again after being hidden a long time (to refresh signed URLs and notice deletion).

export const POLL_FIRST_MS = 2000;
export const POLL_MAX_MS = 10_000;
/** Polling while processing stops after this long; the page then says to reload. */
export const POLL_GIVE_UP_MS = 30 * 60_000;
/** A ready page re-checks on becoming visible only after being hidden longer than this. */
export const RECHECK_HIDDEN_MS = 10 * 60_000;

export const STILL_PROCESSING = 'Still processing — reload the page to check again.';

export function pollDelay(attempt: number): number {
  const n = Math.max(0, Math.floor(attempt));
  return Math.min(POLL_MAX_MS, Math.round(POLL_FIRST_MS * Math.pow(1.25, n)));
}

/** The delay before the next poll, or null when polling has gone on long enough. */
export function nextPoll(attempt: number, startedAt: number, now: number): number | null {
  const d = pollDelay(attempt);
  return now + d - startedAt > POLL_GIVE_UP_MS ? null : d;
}

/** Whether a page that becomes visible again should re-fetch its track. */
export function recheckOnVisible(hiddenAt: number | null, now: number): boolean {
  return hiddenAt !== null && now - hiddenAt > RECHECK_HIDDEN_MS;
}
