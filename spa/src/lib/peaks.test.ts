import { describe, expect, it } from 'vitest';
import { peaksFromAudiowaveform } from './peaks';

const arr = (f: Float32Array) => Array.from(f, (v) => Math.round(v * 10000) / 10000);

describe('peaksFromAudiowaveform', () => {
  it('normalises 8-bit mono data', () => {
    const json = { version: 2, channels: 1, sample_rate: 44100, samples_per_pixel: 256, bits: 8, length: 3, data: [-128, 127, -64, 64, 0, 0] };
    expect(arr(peaksFromAudiowaveform(json))).toEqual([-1, 0.9922, -0.5, 0.5, 0, 0]);
  });

  it('normalises 16-bit data', () => {
    const json = { version: 2, channels: 1, bits: 16, length: 1, data: [-16384, 32767] };
    expect(arr(peaksFromAudiowaveform(json))).toEqual([-0.5, 1]);
  });

  it('merges channels by taking the widest range', () => {
    const json = { version: 2, channels: 2, bits: 8, length: 2, data: [-10, 20, -64, 5, -1, 1, -2, 96] };
    expect(arr(peaksFromAudiowaveform(json))).toEqual([-0.5, 0.1563, -0.0156, 0.75]);
  });

  it('reduces to maxPoints by merging neighbouring pixels', () => {
    const data: number[] = [];
    for (let i = 0; i < 100; i++) data.push(-i, i);
    const out = peaksFromAudiowaveform({ channels: 1, bits: 8, length: 100, data }, 20);
    expect(out.length).toBe(20);
    expect(out[0]).toBeCloseTo(-9 / 128);
    expect(out[1]).toBeCloseTo(9 / 128);
    expect(out[19]).toBeCloseTo(99 / 128);
  });

  it('trusts the shorter of length and data', () => {
    expect(peaksFromAudiowaveform({ bits: 8, length: 1, data: [-1, 1, -2, 2] }).length).toBe(2);
    expect(peaksFromAudiowaveform({ bits: 8, length: 10, data: [-1, 1, -2] }).length).toBe(2);
  });

  it('clamps and zeroes invalid values', () => {
    const json = { channels: 1, bits: 8, length: 2, data: [-500, 'x', null, 400] };
    expect(arr(peaksFromAudiowaveform(json))).toEqual([-1, 0, 0, 1]);
  });

  it.each([null, undefined, 42, 'text', {}, { data: 'no' }, { data: [] }, { data: [1] }, { length: -1, data: [1, 2] }])(
    'returns nothing for %j',
    (input) => {
      const out = peaksFromAudiowaveform(input);
      expect(out).toBeInstanceOf(Float32Array);
      expect(out.length === 0 || out.length === 2).toBe(true);
    },
  );

  it('returns nothing for an empty or odd-length single value', () => {
    expect(peaksFromAudiowaveform({ data: [] }).length).toBe(0);
    expect(peaksFromAudiowaveform({ data: [5] }).length).toBe(0);
    expect(peaksFromAudiowaveform({ length: 0, data: [1, 2] }).length).toBe(0);
  });
});
