// What to do when HLS playback hits an error. Segment URLs are signed and expire (after a long
// pause, say): the cure is to fetch the playlist again, which signs fresh URLs, and resume at
// the same position. hls.js's own retries do not help there, since it never re-signs.

export interface StreamError {
  fatal: boolean;
  /** hls.js ErrorTypes: 'networkError', 'mediaError', 'muxError', 'otherError', … */
  type: string;
  /** hls.js ErrorDetails, e.g. 'fragLoadError', 'manifestLoadError', 'bufferStalledError'. */
  details: string;
  /** HTTP status of the failed request, when there was one. */
  status?: number;
}

export interface RecoveryState {
  /** Reloads since playback last made progress. */
  reloads: number;
  /** Media-error recoveries since playback last made progress. */
  mediaRecoveries: number;
}

export type RecoveryAction =
  | 'none' // let hls.js carry on (it retries transient failures itself)
  | 'reload' // fetch the playlist again and resume where we were
  | 'recoverMedia' // hls.recoverMediaError()
  | 'swapCodecAndRecover' // hls.swapAudioCodec() then recoverMediaError()
  | 'fallback' // give up on HLS, play the Ogg preview
  | 'gone' // the track no longer exists
  | 'fail'; // give up and tell the listener

export const MAX_RELOADS = 3;

export const initialRecovery = (): RecoveryState => ({ reloads: 0, mediaRecoveries: 0 });

/** Playback advanced (a fragment loaded and played): errors since then start a fresh count. */
export const progressed = (_s: RecoveryState): RecoveryState => initialRecovery();

const LOADS = new Set(['manifestLoadError', 'manifestLoadTimeOut', 'levelLoadError', 'levelLoadTimeOut', 'fragLoadError', 'fragLoadTimeOut', 'keyLoadError']);
const AUTH = new Set([401, 403, 404, 410]);

export function decideRecovery(state: RecoveryState, err: StreamError): { action: RecoveryAction; state: RecoveryState } {
  const reload = (): { action: RecoveryAction; state: RecoveryState } =>
    state.reloads >= MAX_RELOADS ? { action: 'fail', state } : { action: 'reload', state: { ...state, reloads: state.reloads + 1 } };

  if (err.type === 'networkError') {
    if (err.details.startsWith('manifest') && (err.status === 404 || err.status === 410)) return { action: 'gone', state };
    // An expired or refused signature: retrying the same URL is pointless, re-sign now.
    if (LOADS.has(err.details) && err.status !== undefined && AUTH.has(err.status)) return reload();
    if (!err.fatal) return { action: 'none', state };
    return reload();
  }
  if (!err.fatal) return { action: 'none', state };
  if (err.type === 'mediaError') {
    const next = { ...state, mediaRecoveries: state.mediaRecoveries + 1 };
    if (state.mediaRecoveries === 0) return { action: 'recoverMedia', state: next };
    if (state.mediaRecoveries === 1) return { action: 'swapCodecAndRecover', state: next };
    return { action: 'fallback', state: next };
  }
  return { action: 'fallback', state };
}
