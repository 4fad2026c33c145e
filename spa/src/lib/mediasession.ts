// The system's media controls (Media Session): what the lock screen, the notification shade, a
// headset and the keyboard's media keys show and do for the player on the track page, the embed
// and the set page. Title, artist, album and cover; play, pause, seeking, and next/previous
// where there is a set; the position, so that the system's scrubber moves with the audio.

import { trackTitle, type Track } from './api';
import { STEP } from './seek';

export interface Artwork {
  src: string;
  /** "WxH", once the picture's size is known. */
  sizes?: string;
  /** The picture's type, when its URL names it. */
  type?: string;
}

export interface Metadata {
  title: string;
  artist: string;
  album: string;
  artwork: Artwork[];
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };

/** The cover as artwork: its type from the URL's extension, its size once measured. */
export function artworkOf(src: string, size?: { width: number; height: number }): Artwork {
  const a: Artwork = { src };
  let ext = '';
  try {
    ext = /\.([a-z0-9]+)$/i.exec(new URL(src, 'http://x').pathname)?.[1]?.toLowerCase() ?? '';
  } catch {
    // No type then.
  }
  if (TYPES[ext]) a.type = TYPES[ext];
  if (size && size.width > 0 && size.height > 0) a.sizes = `${Math.round(size.width)}x${Math.round(size.height)}`;
  return a;
}

/**
 * What the system's media controls show for t: its title (the file name when untagged),
 * artist, and the album tag, else album (a set's title), else nothing.
 */
export function metadataOf(t: Track, album = '', size?: { width: number; height: number }): Metadata {
  return {
    title: trackTitle(t),
    artist: t.tags?.artist ?? '',
    album: t.tags?.album || album,
    artwork: t.cover ? [artworkOf(t.cover, size)] : [],
  };
}

export interface PositionState {
  duration: number;
  playbackRate: number;
  position: number;
}

/** The parts of navigator.mediaSession the player uses. */
export interface MediaSessionLike {
  metadata: unknown;
  playbackState?: string;
  setActionHandler(action: string, handler: ((details: ActionDetails) => void) | null): void;
  setPositionState?(state?: PositionState): void;
}

export interface ActionDetails {
  action?: string;
  seekTime?: number;
  seekOffset?: number;
}

/** What the player does for the system's buttons; a missing next or previous greys it out. */
export interface SessionActions {
  play(): void;
  pause(): void;
  /** Moves to t seconds. */
  seekTo(t: number): void;
  /** Moves by seconds (negative: back). */
  seekBy(seconds: number): void;
  next?: () => void;
  previous?: () => void;
}

const ACTIONS = ['play', 'pause', 'seekto', 'seekbackward', 'seekforward', 'nexttrack', 'previoustrack'] as const;

/**
 * Shows m in the system's media controls and wires their buttons to actions. Returns a
 * function that takes it all back (handlers cleared; the metadata is left for the next track
 * to replace). Does nothing where Media Session is missing.
 */
export function showInMediaSession(
  session: MediaSessionLike | undefined,
  makeMetadata: ((m: Metadata) => unknown) | undefined,
  m: Metadata,
  actions: SessionActions,
): () => void {
  if (!session || !makeMetadata) return () => {};
  const handle = (action: string, fn: ((d: ActionDetails) => void) | null) => {
    try {
      session.setActionHandler(action, fn);
    } catch {
      // A browser that does not know the action: nothing to wire.
    }
  };
  session.metadata = makeMetadata(m);
  handle('play', () => actions.play());
  handle('pause', () => actions.pause());
  handle('seekto', (d) => {
    if (typeof d.seekTime === 'number' && Number.isFinite(d.seekTime)) actions.seekTo(d.seekTime);
  });
  handle('seekbackward', (d) => actions.seekBy(-(d.seekOffset || STEP)));
  handle('seekforward', (d) => actions.seekBy(d.seekOffset || STEP));
  const { next, previous } = actions;
  handle('nexttrack', next ? () => next() : null);
  handle('previoustrack', previous ? () => previous() : null);
  return () => {
    for (const a of ACTIONS) handle(a, null);
  };
}

/**
 * Tells the system where playback is (it moves its own scrubber from there at the playback
 * rate). Without a known duration the position is cleared; a position past the end is
 * clamped (setPositionState throws on it).
 */
export function showPosition(session: MediaSessionLike | undefined, duration: number, position: number, playing: boolean): void {
  if (!session) return;
  session.playbackState = playing ? 'playing' : 'paused';
  if (typeof session.setPositionState !== 'function') return;
  try {
    if (!Number.isFinite(duration) || duration <= 0) {
      session.setPositionState();
      return;
    }
    const p = Number.isFinite(position) ? Math.min(duration, Math.max(0, position)) : 0;
    session.setPositionState({ duration, playbackRate: 1, position: p });
  } catch {
    // An old implementation that rejects the state: the scrubber just does not move.
  }
}
