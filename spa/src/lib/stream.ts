// Attaches a track's audio to the page's <audio> element when playback first starts: hls.js
// (light build, loaded on demand) where Media Source Extensions exist, native HLS elsewhere
// (Safari), the Ogg preview as a last resort. Recovery decisions live in recovery.ts.

import type HlsType from 'hls.js';
import { decideRecovery, initialRecovery, progressed, type RecoveryState } from './recovery';

export interface SourceOptions {
  stream?: string;
  preview?: string;
  /** Where to start, chosen before any source existed (keyboard or click seeking). */
  startAt: number;
  /** The track is gone (playlist 404). */
  onGone(): void;
  /** Asks the API once whether the track still exists; resolves true when it is gone (404). */
  checkGone?(): Promise<boolean>;
  /** Playback cannot continue; the message is for people. */
  onFatal(message: string): void;
}

export interface Source {
  kind: 'hls.js' | 'native' | 'preview';
  destroy(): void;
}

const FATAL = 'Playback failed. Reload the page to try again.';

/** Before giving up: a deleted track is reported as such, not as a playback failure. */
function giveUp(opts: SourceOptions) {
  const check = opts.checkGone ? opts.checkGone().catch(() => false) : Promise.resolve(false);
  void check.then((gone) => (gone ? opts.onGone() : opts.onFatal(FATAL)));
}

/** A same-origin API URL as a path, so a page reached under another host name still works. */
export function localPath(url: string, origin: string): string {
  try {
    const u = new URL(url, origin);
    if (u.origin !== origin && u.pathname.startsWith('/api/')) return u.pathname + u.search;
    return u.href;
  } catch {
    return url;
  }
}

/** Applies a start position once the element knows its duration. */
function seekWhenReady(audio: HTMLAudioElement, t: number) {
  if (t <= 0) return;
  const apply = () => {
    if (Math.abs(audio.currentTime - t) > 0.5) audio.currentTime = t;
  };
  if (audio.readyState >= 1) apply();
  else audio.addEventListener('loadedmetadata', apply, { once: true });
}

function usePreview(audio: HTMLAudioElement, opts: SourceOptions, at: number): Source {
  if (!opts.preview) {
    opts.onFatal(FATAL);
    return { kind: 'preview', destroy() {} };
  }
  audio.src = opts.preview;
  seekWhenReady(audio, at);
  return { kind: 'preview', destroy: () => audio.removeAttribute('src') };
}

function nativeHls(audio: HTMLAudioElement, stream: string, opts: SourceOptions): Source {
  let state: RecoveryState = initialRecovery();
  let done = false;
  const onError = () => {
    if (done) return;
    // MEDIA_ERR_NETWORK (2) most likely means expired segment signatures: fetch the playlist again.
    const d =
      audio.error?.code === 2
        ? decideRecovery(state, { fatal: true, type: 'networkError', details: 'fragLoadError' }, { position: audio.currentTime, now: Date.now() })
        : { action: 'fail' as const, state };
    state = d.state;
    if (d.action === 'reload') {
      const t = audio.currentTime;
      audio.src = stream;
      seekWhenReady(audio, t);
      audio.play().catch(() => {});
    } else {
      done = true;
      giveUp(opts);
    }
  };
  // Counts start over only once playback is clearly past the failing position.
  const onTime = () => {
    state = progressed(state, audio.currentTime);
  };
  audio.addEventListener('error', onError);
  audio.addEventListener('timeupdate', onTime);
  audio.src = stream;
  seekWhenReady(audio, opts.startAt);
  return {
    kind: 'native',
    destroy() {
      done = true;
      audio.removeEventListener('error', onError);
      audio.removeEventListener('timeupdate', onTime);
      audio.removeAttribute('src');
    },
  };
}

function hlsJs(Hls: typeof HlsType, audio: HTMLAudioElement, stream: string, opts: SourceOptions): Source {
  let hls: HlsType | null = null;
  let state: RecoveryState = initialRecovery();
  let fallback: Source | null = null;

  const create = (startPosition: number, resume: boolean) => {
    const h = new Hls({ startPosition: startPosition > 0 ? startPosition : -1, maxBufferLength: 30, maxMaxBufferLength: 60 });
    hls = h;
    if (resume) {
      h.once(Hls.Events.MANIFEST_PARSED, () => {
        audio.play().catch(() => {});
      });
    }
    h.on(Hls.Events.ERROR, (_e, data) => {
      if (hls !== h) return;
      const d = decideRecovery(
        state,
        { fatal: data.fatal, type: data.type, details: data.details, status: data.response?.code },
        { position: audio.currentTime, now: Date.now() },
      );
      state = d.state;
      switch (d.action) {
        case 'reload': {
          // Re-fetching the playlist re-signs every segment URL; resume where we were.
          const t = audio.currentTime;
          const playing = !audio.paused;
          h.destroy();
          create(t, playing);
          break;
        }
        case 'recoverMedia':
          h.recoverMediaError();
          break;
        case 'swapCodecAndRecover':
          h.swapAudioCodec();
          h.recoverMediaError();
          break;
        case 'fallback': {
          const t = audio.currentTime;
          h.destroy();
          hls = null;
          fallback = usePreview(audio, opts, t);
          audio.play().catch(() => {});
          break;
        }
        case 'gone':
          h.destroy();
          hls = null;
          opts.onGone();
          break;
        case 'fail':
          h.destroy();
          hls = null;
          giveUp(opts);
          break;
        case 'none':
          break;
      }
    });
    h.attachMedia(audio);
    h.loadSource(stream);
  };

  // Buffering the fragment that holds the current time again is not progress (it used to reset
  // the counts after every reload): only playback getting past the failing position is.
  const onTime = () => {
    state = progressed(state, audio.currentTime);
  };
  audio.addEventListener('timeupdate', onTime);
  create(opts.startAt, false);
  return {
    kind: 'hls.js',
    destroy() {
      audio.removeEventListener('timeupdate', onTime);
      hls?.destroy();
      hls = null;
      fallback?.destroy();
    },
  };
}

let hlsLoad: Promise<typeof HlsType | null> | null = null;
/** hls.js once loaded: undefined while not (yet) loaded, null when it failed to load. */
let hlsLoaded: typeof HlsType | null | undefined;

/** Starts loading hls.js (once). Call early, e.g. when the pointer nears the Play button. */
export function loadHls(): Promise<typeof HlsType | null> {
  if (!hlsLoad) {
    hlsLoad = import('hls.js/light').then(
      (m) => (hlsLoaded = m.default),
      () => {
        hlsLoad = null; // may be retried later
        return (hlsLoaded = null);
      },
    );
  }
  return hlsLoad;
}

/** Whether Media Source Extensions exist at all; hls.js cannot work without them. */
function hasMse(): boolean {
  const w = globalThis as unknown as { MediaSource?: unknown; ManagedMediaSource?: unknown; WebKitMediaSource?: unknown };
  return !!(w.MediaSource || w.ManagedMediaSource || w.WebKitMediaSource);
}

function choose(audio: HTMLAudioElement, opts: SourceOptions, Hls: typeof HlsType | null): Source {
  const stream = opts.stream ? localPath(opts.stream, location.origin) : undefined;
  if (stream) {
    // Chromium answers "maybe" for HLS without playing it well: ask hls.js first.
    if (Hls?.isSupported()) return hlsJs(Hls, audio, stream, opts);
    if (audio.canPlayType('application/vnd.apple.mpegurl')) return nativeHls(audio, stream, opts);
  }
  return usePreview(audio, opts, opts.startAt);
}

/**
 * Attaches a source synchronously when that is possible without waiting for hls.js (it is
 * loaded already, not needed, or cannot work here), so that play() can follow within the
 * user's gesture (iOS refuses it otherwise). Returns null when hls.js is still to be loaded.
 */
export function attachSourceNow(audio: HTMLAudioElement, opts: SourceOptions): Source | null {
  if (!opts.stream || hlsLoaded !== undefined) return choose(audio, opts, hlsLoaded ?? null);
  if (!hasMse()) return choose(audio, opts, null);
  return null;
}

/** Chooses and attaches the best source, loading hls.js first when needed; then call audio.play(). */
export async function attachSource(audio: HTMLAudioElement, opts: SourceOptions): Promise<Source> {
  const Hls = opts.stream ? await loadHls() : null;
  return choose(audio, opts, Hls);
}
