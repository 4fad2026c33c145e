// Sets (docs/api.md, "Sets"): the API calls, and what the set page decides without the DOM:
// which track plays next or before and which keys move through the list. What the system's
// media controls show is mediasession.ts's, shared with the track page and the embed.

import { call, type Track } from './api';
import type { UploadItem } from './queue';
import { typing, type KeyLike } from './shortcuts';

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

export type { KeyLike };

/**
 * The set page's keys, anywhere on the page: N or Shift+N for the next track, P or Shift+P for
 * the previous one (as video sites use Shift+N/P), and the keyboards' own media keys.
 */
export function setKey(e: KeyLike): SetMove | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  if (typing(e.target)) return null;
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
