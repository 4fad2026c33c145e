import { describe, expect, it } from 'vitest';
import {
  expiresIn,
  formatBitrate,
  formatBytes,
  formatChannels,
  formatDuration,
  formatSampleRate,
  formatSpeed,
  formatTotal,
  percent,
  positionText,
} from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [12.9, '0:12'],
    [59, '0:59'],
    [60, '1:00'],
    [180, '3:00'],
    [241.37, '4:01'],
    [3599, '59:59'],
    [3600, '1:00:00'],
    [3723, '1:02:03'],
    [14400, '4:00:00'],
    [-5, '0:00'],
    [NaN, '0:00'],
    [Infinity, '0:00'],
  ])('%s → %s', (s, want) => expect(formatDuration(s)).toBe(want));

  it('rounds totals', () => {
    expect(formatTotal(179.6)).toBe('3:00');
    expect(formatTotal(241.37)).toBe('4:01');
  });
  it('slider text', () => expect(positionText(91.4, 180)).toBe('1:31 of 3:00'));
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [4812345, '4.6 MB'],
    [150 * 1024 * 1024, '150 MB'],
    [2147483648, '2 GB'],
    [2.1 * 1024 ** 3, '2.1 GB'],
    [1024 * 1024 - 1, '1 MB'],
  ])('%s → %s', (b, want) => expect(formatBytes(b)).toBe(want));
  it('speed', () => expect(formatSpeed(3.1 * 1024 * 1024)).toBe('3.1 MB/s'));
});

describe('percent', () => {
  it('floors and clamps', () => {
    expect(percent(37.9, 100)).toBe(37);
    expect(percent(5, 0)).toBe(0);
    expect(percent(200, 100)).toBe(100);
    expect(percent(999, 1000)).toBe(99);
  });
});

describe('expiresIn', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const h = 3600_000;
  it.each([
    [14 * 24 * h, 'Expires in 14 days'],
    [14 * 24 * h - 1, 'Expires in 13 days'],
    [24 * h + 5, 'Expires in 1 day'],
    [24 * h - 1, 'Expires in 23 hours'],
    [5 * h + 59 * 60_000, 'Expires in 5 hours'],
    [h, 'Expires in 1 hour'],
    [h - 1, 'Expires in less than an hour'],
    [1, 'Expires in less than an hour'],
    [0, 'Expired'],
    [-h, 'Expired'],
  ])('%s ms left → %s', (left, want) => {
    expect(expiresIn(new Date(now + left).toISOString(), now)).toBe(want);
  });
  it('accepts numbers and tolerates garbage', () => {
    expect(expiresIn(now + 3 * 24 * h, now)).toBe('Expires in 3 days');
    expect(expiresIn('not a date', now)).toBe('');
  });
});

describe('audio details', () => {
  it('formats', () => {
    expect(formatBitrate(320000)).toBe('320 kb/s');
    expect(formatSampleRate(44100)).toBe('44.1 kHz');
    expect(formatSampleRate(48000)).toBe('48 kHz');
    expect(formatChannels(1)).toBe('mono');
    expect(formatChannels(2)).toBe('stereo');
    expect(formatChannels(6)).toBe('6 channels');
  });
});
