// Sets (docs/api.md, "Sets"): the API calls, and what the set page decides without the DOM:
// which track plays next or before, which keys move through the list, and what the system's
// media controls show (Media Session metadata).

import { call, trackTitle, type Track } from './api';
import type { UploadItem } from './queue';

export interface SetView {
  id: string;
  url: string;
  title: string;
  createdAt: string;
  expiresAt: string;
  /** Each live track as GET /api/tracks/{id} shows it, in play order. */
  tracks: Track[];
}

export interface SetCreated {
  id: string;
  url: string;
  deleteToken: string;
  expiresAt: string;
}

export interface SetEntry {
  id: string;
  deleteToken: string;
}

/** The most tracks a set holds (the server says so too). */
export const MAX_SET_TRACKS = 1000;

const setPath = (id: string) => `/api/sets/${encodeURIComponent(id)}`;

/** Reads a set; reading never slides its tracks' expiry. */
export const getSet = (id: string) => call<SetView>(setPath(id));

export const createSet = (title: string, tracks: SetEntry[]) =>
  call<SetCreated>('/api/sets', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title, tracks }) });

/** Whether the player can play t now. */
export const playable = (t: Track) => t.status === 'ready' && !!(t.stream || t.preview);

/** The index of the nearest playable track after (dir 1) or before (dir -1) from, or null. */
export function step(tracks: Track[], from: number, dir: 1 | -1): number | null {
  for (let i = from + dir; i >= 0 && i < tracks.length; i += dir) {
    if (playable(tracks[i])) return i;
  }
  return null;
}

/** The first playable track's index, or null. */
export const firstPlayable = (tracks: Track[]) => step(tracks, -1, 1);

export type SetMove = 'next' | 'previous';

export interface KeyLike {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** The element the key went to: typing in a field never moves through the list. */
  target: EventTarget | null;
}

const TYPING = /^(INPUT|TEXTAREA|SELECT)$/;

/**
 * The set page's keys, anywhere on the page: N or Shift+N for the next track, P or Shift+P for
 * the previous one (as video sites use Shift+N/P), and the keyboards' own media keys.
 */
export function setKey(e: KeyLike): SetMove | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  const el = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  if (el && (TYPING.test(el.tagName ?? '') || el.isContentEditable)) return null;
  switch (e.key) {
    case 'n':
    case 'N':
    case 'MediaTrackNext':
      return 'next';
    case 'p':
    case 'P':
    case 'MediaTrackPrevious':
      return 'previous';
  }
  return null;
}

export interface Metadata {
  title: string;
  artist: string;
  album: string;
  artwork: Array<{ src: string }>;
}

/** What the system's media controls show for t playing in the set: the album tag, else the set's title. */
export function metadataOf(t: Track, set: Pick<SetView, 'title'>): Metadata {
  return {
    title: trackTitle(t),
    artist: t.tags?.artist ?? '',
    album: t.tags?.album || set.title,
    artwork: t.cover ? [{ src: t.cover }] : [],
  };
}

/** The parts of navigator.mediaSession the page uses. */
export interface MediaSessionLike {
  metadata: unknown;
  setActionHandler(action: string, handler: (() => void) | null): void;
}

/**
 * Shows t in the system's media controls (lock screen, headset, keyboard media keys) and wires
 * their next and previous buttons; a missing direction clears its handler, so the button greys
 * out. Returns a function that takes it all back. Does nothing where Media Session is missing.
 */
export function showInMediaSession(
  session: MediaSessionLike | undefined,
  makeMetadata: ((m: Metadata) => unknown) | undefined,
  m: Metadata,
  moves: { next?: () => void; previous?: () => void },
): () => void {
  if (!session || !makeMetadata) return () => {};
  const handle = (action: string, fn: (() => void) | null) => {
    try {
      session.setActionHandler(action, fn);
    } catch {
      // A browser that does not know the action: nothing to wire.
    }
  };
  session.metadata = makeMetadata(m);
  handle('nexttrack', moves.next ?? null);
  handle('previoustrack', moves.previous ?? null);
  return () => {
    handle('nexttrack', null);
    handle('previoustrack', null);
  };
}

/** The whole set's length in seconds, counting the tracks whose duration is known. */
export const totalSeconds = (tracks: Track[]) => tracks.reduce((s, t) => s + (t.duration ?? 0), 0);

/** The uploads a set can take: those the server accepted and did not fail. */
export function setCandidates(items: UploadItem[]): UploadItem[] {
  return items.filter((i) => i.created && (i.state === 'processing' || i.state === 'ready')).slice(0, MAX_SET_TRACKS);
}

/** A title to start from: the album the ready tracks share, if they share one. */
export function suggestedTitle(items: UploadItem[]): string {
  const albums = new Set(items.map((i) => i.track?.tags?.album?.trim() ?? ''));
  const [only] = albums;
  return albums.size === 1 && only ? only : '';
}
