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
  /** Playback cannot continue; the message is for people. */
  onFatal(message: string): void;
}

export interface Source {
  kind: 'hls.js' | 'native' | 'preview';
  destroy(): void;
}

const FATAL = 'Playback failed. Reload the page to try again.';

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
  let reloads = 0;
  const onError = () => {
    // MEDIA_ERR_NETWORK (2) most likely means expired segment signatures: fetch the playlist again.
    if (audio.error?.code === 2 && reloads < 3) {
      reloads++;
      const t = audio.currentTime;
      audio.src = stream;
      seekWhenReady(audio, t);
      audio.play().catch(() => {});
    } else {
      opts.onFatal(FATAL);
    }
  };
  const onPlaying = () => {
    reloads = 0;
  };
  audio.addEventListener('error', onError);
  audio.addEventListener('playing', onPlaying);
  audio.src = stream;
  seekWhenReady(audio, opts.startAt);
  return {
    kind: 'native',
    destroy() {
      audio.removeEventListener('error', onError);
      audio.removeEventListener('playing', onPlaying);
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
    h.on(Hls.Events.FRAG_BUFFERED, () => {
      state = progressed(state);
    });
    if (resume) {
      h.once(Hls.Events.MANIFEST_PARSED, () => {
        audio.play().catch(() => {});
      });
    }
    h.on(Hls.Events.ERROR, (_e, data) => {
      if (hls !== h) return;
      const d = decideRecovery(state, { fatal: data.fatal, type: data.type, details: data.details, status: data.response?.code });
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
          opts.onFatal(FATAL);
          break;
        case 'none':
          break;
      }
    });
    h.attachMedia(audio);
    h.loadSource(stream);
  };

  create(opts.startAt, false);
  return {
    kind: 'hls.js',
    destroy() {
      hls?.destroy();
      hls = null;
      fallback?.destroy();
    },
  };
}

/** Chooses and attaches the best source. Call from the Play click; then call audio.play(). */
export async function attachSource(audio: HTMLAudioElement, opts: SourceOptions): Promise<Source> {
  const stream = opts.stream ? localPath(opts.stream, location.origin) : undefined;
  if (stream) {
    let Hls: typeof HlsType | null = null;
    try {
      Hls = (await import('hls.js/light')).default;
    } catch {
      Hls = null;
    }
    // Chromium answers "maybe" for HLS without playing it well: ask hls.js first.
    if (Hls?.isSupported()) return hlsJs(Hls, audio, stream, opts);
    if (audio.canPlayType('application/vnd.apple.mpegurl')) return nativeHls(audio, stream, opts);
  }
  return usePreview(audio, opts, opts.startAt);
}
