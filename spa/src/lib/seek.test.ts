import { describe, expect, it } from 'vitest';
import { seekKey } from './seek';

describe('seekKey', () => {
  it.each([
    ['ArrowRight', 10, 15],
    ['ArrowUp', 10, 15],
    ['ArrowLeft', 10, 5],
    ['ArrowDown', 10, 5],
    ['PageUp', 10, 40],
    ['PageDown', 40, 10],
    ['Home', 91, 0],
    ['End', 3, 180],
    ['ArrowRight', 178, 180],
    ['ArrowLeft', 2, 0],
    ['PageDown', 12, 0],
    ['PageUp', 170, 180],
  ])('%s from %s → %s', (key, from, want) => {
    expect(seekKey(key, from, 180)).toEqual({ type: 'seek', time: want });
  });

  it.each([' ', 'Enter'])('%j toggles playback', (key) => expect(seekKey(key, 0, 180)).toEqual({ type: 'toggle' }));

  it.each(['Tab', 'a', 'Escape'])('ignores %s', (key) => expect(seekKey(key, 0, 180)).toBe(null));

  it('copes with an unknown duration and position', () => {
    expect(seekKey('ArrowRight', NaN, NaN)).toEqual({ type: 'seek', time: 0 });
  });
});
