// What the pages say about the fediverse: public tracks are announced by one account,
// @tracks@HOST, which GET /api/config names when federation is on (and leaves out when off).

import type { Track } from './api';

/**
 * The handle as the server sent it (`@tracks@host`, the host possibly with a port or an IPv6
 * literal), or undefined for anything else: a page shows no handle rather than a wrong one.
 */
export function parseHandle(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 320) return undefined;
  return /^@[^\s@/]+@[^\s@/]+$/.test(value) ? value : undefined;
}

/**
 * The upload page's "Public" option, from the config's `fediverse`: a handle (federation on),
 * null (the server answered without one: federation off) or undefined (not known yet, or the
 * config could not be read).
 */
export interface PublicOption {
  /** false: the checkbox is disabled, and `help` says why. */
  available: boolean;
  label: string;
  /** The sentence tied to the checkbox (aria-describedby). */
  help: string;
}

export const PUBLIC_LABEL = 'Public — announce it to the fediverse';

export function publicOption(fediverse: string | null | undefined): PublicOption {
  if (fediverse === null) {
    return {
      available: false,
      label: 'Public',
      help: 'Unavailable: this server does not announce tracks to the fediverse, so every track is shared by its link only.',
    };
  }
  const who = fediverse ? `Followers of ${fediverse}` : "Followers of this site's fediverse account";
  return {
    available: true,
    label: PUBLIC_LABEL,
    help: `${who} see it in their timelines once it is ready, and search engines may list its page. Unticked, it is shared by its link only.`,
  };
}

/** What the track page says about the fediverse; null: nothing. */
export type FediverseNotice = { kind: 'announced' | 'pending'; handle: string } | null;

/**
 * A public track that was announced says so; a public track still pending or processing says it
 * will be announced once ready; every other track (private, failed, ready but never announced
 * because federation was off then) and a page without a known handle show nothing.
 */
export function fediverseNotice(track: Pick<Track, 'public' | 'announced' | 'status'>, handle: string | null | undefined): FediverseNotice {
  if (!handle || track.public !== true) return null;
  if (track.announced === true) return { kind: 'announced', handle };
  if (track.status === 'pending' || track.status === 'processing') return { kind: 'pending', handle };
  return null;
}
