import { describe, expect, it } from 'vitest';
import { clampVolume, DEFAULT_VOLUME, loadVolume, saveVolume, VOLUME_KEY } from './volume';

/** An in-memory localStorage. */
function memory(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('volume preferences', () => {
  it('round-trips the volume and mute', () => {
    const s = memory();
    saveVolume(s, { volume: 0.35, muted: true });
    expect(JSON.parse(s.m.get(VOLUME_KEY)!)).toEqual({ volume: 0.35, muted: true });
    expect(loadVolume(s)).toEqual({ volume: 0.35, muted: true });
  });

  it('nothing stored, no storage, or storage that throws: full volume, unmuted', () => {
    expect(loadVolume(memory())).toEqual(DEFAULT_VOLUME);
    expect(loadVolume(null)).toEqual(DEFAULT_VOLUME);
    const hostile = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    expect(loadVolume(hostile)).toEqual(DEFAULT_VOLUME);
    expect(() => saveVolume(hostile, { volume: 0.5, muted: false })).not.toThrow();
  });

  it('a corrupt or foreign value reads as the default, field by field', () => {
    expect(loadVolume(memory({ [VOLUME_KEY]: '{not json' }))).toEqual(DEFAULT_VOLUME);
    expect(loadVolume(memory({ [VOLUME_KEY]: 'null' }))).toEqual(DEFAULT_VOLUME);
    expect(loadVolume(memory({ [VOLUME_KEY]: '"loud"' }))).toEqual(DEFAULT_VOLUME);
    expect(loadVolume(memory({ [VOLUME_KEY]: '{"volume":7,"muted":"yes"}' }))).toEqual({ volume: 1, muted: false });
    expect(loadVolume(memory({ [VOLUME_KEY]: '{"volume":-1,"muted":true}' }))).toEqual({ volume: 0, muted: true });
  });

  it('clampVolume keeps [0, 1]', () => {
    expect(clampVolume(0.5)).toBe(0.5);
    expect(clampVolume(2)).toBe(1);
    expect(clampVolume(-0.1)).toBe(0);
    expect(clampVolume(NaN)).toBe(1);
    expect(clampVolume('0.5')).toBe(1);
  });
});
