// What to do when HLS playback hits an error. Segment URLs are signed and expire (after a long
// pause, say): the cure is to fetch the playlist again, which signs fresh URLs, and resume at
// the same position. hls.js's own retries do not help there, since it never re-signs.
//
// Reloads are bounded twice over, so that a segment which keeps failing cannot loop forever
// (reload → re-buffer → 403 → reload …): the count of reloads only starts over once playback has
// really moved past the position of the last failure, and there are at most
// MAX_RELOADS_PER_WINDOW reloads in any RELOAD_WINDOW_MS whatever happens in between.

export interface StreamError {
  fatal: boolean;
  /** hls.js ErrorTypes: 'networkError', 'mediaError', 'muxError', 'otherError', … */
  type: string;
  /** hls.js ErrorDetails, e.g. 'fragLoadError', 'manifestLoadError', 'bufferStalledError'. */
  details: string;
  /** HTTP status of the failed request, when there was one. */
  status?: number;
}

/** Where playback is (media seconds) and when (wall-clock ms) an error or progress happens. */
export interface Moment {
  position: number;
  now: number;
}

export interface RecoveryState {
  /** Reloads since playback last got past the last failure. */
  reloads: number;
  /** Media-error recoveries since playback last got past the last failure. */
  mediaRecoveries: number;
  /** Media position of the last handled failure; null when none since the last progress. */
  lastFailureAt: number | null;
  /** Wall-clock times (ms) of the recent reloads, for the per-window cap. */
  reloadTimes: number[];
}

export type RecoveryAction =
  | 'none' // let hls.js carry on (it retries transient failures itself)
  | 'reload' // fetch the playlist again and resume where we were
  | 'recoverMedia' // hls.recoverMediaError()
  | 'swapCodecAndRecover' // hls.swapAudioCodec() then recoverMediaError()
  | 'fallback' // give up on HLS, play the Ogg preview
  | 'gone' // the track no longer exists
  | 'fail'; // give up and tell the listener

/** Reloads allowed while playback does not get past the failing position. */
export const MAX_RELOADS = 3;
/** Reloads allowed in any window of RELOAD_WINDOW_MS, progress or not. */
export const MAX_RELOADS_PER_WINDOW = 5;
export const RELOAD_WINDOW_MS = 60_000;
/** How far (seconds, about a segment) playback must get past the last failure to count as progress. */
export const PROGRESS_MARGIN = 10;

export const initialRecovery = (): RecoveryState => ({ reloads: 0, mediaRecoveries: 0, lastFailureAt: null, reloadTimes: [] });

/**
 * Playback is at `position`: the error counts start over only once it is clearly past the last
 * failure. Buffering the fragment that contains the failing position again is not progress.
 * Returns the same object when nothing changes.
 */
export function progressed(s: RecoveryState, position: number): RecoveryState {
  if (s.reloads === 0 && s.mediaRecoveries === 0 && s.lastFailureAt === null) return s;
  if (s.lastFailureAt !== null && !(position > s.lastFailureAt + PROGRESS_MARGIN)) return s;
  return { ...s, reloads: 0, mediaRecoveries: 0, lastFailureAt: null };
}

const LOADS = new Set(['manifestLoadError', 'manifestLoadTimeOut', 'levelLoadError', 'levelLoadTimeOut', 'fragLoadError', 'fragLoadTimeOut', 'keyLoadError']);
const AUTH = new Set([401, 403, 404, 410]);

export function decideRecovery(state: RecoveryState, err: StreamError, at: Moment): { action: RecoveryAction; state: RecoveryState } {
  const reload = (): { action: RecoveryAction; state: RecoveryState } => {
    const recent = state.reloadTimes.filter((t) => at.now - t < RELOAD_WINDOW_MS);
    if (state.reloads >= MAX_RELOADS || recent.length >= MAX_RELOADS_PER_WINDOW) return { action: 'fail', state: { ...state, reloadTimes: recent } };
    return {
      action: 'reload',
      state: { ...state, reloads: state.reloads + 1, lastFailureAt: failedAt(), reloadTimes: [...recent, at.now] },
    };
  };
  // The furthest position that failed since the last progress: progress must get past it.
  const failedAt = () => Math.max(at.position, state.lastFailureAt ?? -Infinity);

  if (err.type === 'networkError') {
    if (err.details.startsWith('manifest') && (err.status === 404 || err.status === 410)) return { action: 'gone', state };
    // An expired or refused signature: retrying the same URL is pointless, re-sign now.
    if (LOADS.has(err.details) && err.status !== undefined && AUTH.has(err.status)) return reload();
    if (!err.fatal) return { action: 'none', state };
    return reload();
  }
  if (!err.fatal) return { action: 'none', state };
  if (err.type === 'mediaError') {
    const next = { ...state, mediaRecoveries: state.mediaRecoveries + 1, lastFailureAt: failedAt() };
    if (state.mediaRecoveries === 0) return { action: 'recoverMedia', state: next };
    if (state.mediaRecoveries === 1) return { action: 'swapCodecAndRecover', state: next };
    return { action: 'fallback', state: next };
  }
  return { action: 'fallback', state };
}
