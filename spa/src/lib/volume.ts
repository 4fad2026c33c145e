// Volume and mute, remembered in localStorage from one page and visit to the next. Storage may
// be missing or refuse (a sandboxed embed runs in an opaque origin, where it throws): the
// player then starts at full volume, unmuted, and forgets the change.

import type { StorageLike } from './store';

export const VOLUME_KEY = 'soundtime.volume';

export interface VolumePrefs {
  /** 0 to 1. */
  volume: number;
  muted: boolean;
}

export const DEFAULT_VOLUME: VolumePrefs = { volume: 1, muted: false };

/** A volume in [0, 1]; anything else reads as full volume. */
export function clampVolume(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1;
}

/** The remembered volume; the default when there is none or it cannot be read. */
export function loadVolume(storage: StorageLike | null): VolumePrefs {
  try {
    const raw = storage?.getItem(VOLUME_KEY);
    if (!raw) return DEFAULT_VOLUME;
    const o = JSON.parse(raw) as Partial<VolumePrefs> | null;
    if (!o || typeof o !== 'object') return DEFAULT_VOLUME;
    return { volume: clampVolume(o.volume), muted: o.muted === true };
  } catch {
    return DEFAULT_VOLUME;
  }
}

/** Remembers the volume; a refusal (storage full, blocked) is ignored. */
export function saveVolume(storage: StorageLike | null, p: VolumePrefs): void {
  try {
    storage?.setItem(VOLUME_KEY, JSON.stringify({ volume: clampVolume(p.volume), muted: p.muted }));
  } catch {
    // Nothing to do: the volume just is not remembered.
  }
}

/** The browser's localStorage, or null where reading it throws (an opaque origin). */
export function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
