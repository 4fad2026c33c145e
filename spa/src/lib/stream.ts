// The browser's side of the player's streaming (player.ts decides everything): hls.js, light
// build, loaded on demand and driven through the HlsLoader interface, and the API URL a stream
// is fetched from.

import type HlsType from 'hls.js';
import type { HlsLib, HlsLoader } from './player';

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

/** hls.js playing on one element, or null where it cannot work. */
function onElement(Hls: typeof HlsType | null, audio: HTMLMediaElement): HlsLib | null {
  if (!Hls?.isSupported()) return null;
  return {
    attach(url, startPosition, on) {
      // startPosition 0, never -1 (auto): while the track processes its playlist is an EVENT
      // one without ENDLIST, which hls.js treats as live and by default joins near its end.
      // A listener starts at the beginning, as with the VOD playlist it becomes.
      const h = new Hls({ startPosition: Math.max(startPosition, 0), maxBufferLength: 30, maxMaxBufferLength: 60 });
      h.once(Hls.Events.MANIFEST_PARSED, () => on.manifestParsed());
      h.on(Hls.Events.ERROR, (_e, data) => on.error({ fatal: data.fatal, type: data.type, details: data.details, status: data.response?.code }));
      h.attachMedia(audio);
      h.loadSource(url);
      return {
        destroy: () => h.destroy(),
        recoverMediaError: () => h.recoverMediaError(),
        swapAudioCodec: () => h.swapAudioCodec(),
      };
    },
  };
}

/** The player's HlsLoader for one <audio> element. */
export function browserHls(audio: HTMLMediaElement): HlsLoader {
  return {
    loaded: () => (hlsLoaded === undefined ? undefined : onElement(hlsLoaded, audio)),
    load: () => loadHls().then((Hls) => onElement(Hls, audio)),
    mse: hasMse(),
  };
}
