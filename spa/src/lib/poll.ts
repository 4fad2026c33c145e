// Polling schedule for a track being processed: every 2 s at first, backing off to 10 s.

export const POLL_FIRST_MS = 2000;
export const POLL_MAX_MS = 10_000;

export function pollDelay(attempt: number): number {
  const n = Math.max(0, Math.floor(attempt));
  return Math.min(POLL_MAX_MS, Math.round(POLL_FIRST_MS * Math.pow(1.25, n)));
}
