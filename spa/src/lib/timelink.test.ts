import { describe, expect, it } from 'vitest';
import { fragmentTime, linkAt, parseTime, startTime } from './timelink';

describe('parseTime', () => {
  it.each([
    ['1:23', 83],
    ['0:05', 5],
    ['01:02:03', 3723],
    ['1:02:03', 3723],
    ['83', 83],
    ['83.5', 83.5],
    ['1h2m3s', 3723],
    ['2m', 120],
    ['45s', 45],
    ['1h', 3600],
    ['1H30M', 5400],
    [' 1:23 ', 83],
    ['0', 0],
  ])('%s → %s', (text, want) => {
    expect(parseTime(text)).toBe(want);
  });

  it.each(['', 'abc', '-5', '1:75', '1:60:00', '1::2', ':30', '1m2h', 'h', '1:2:3:4', '1e3', 'Infinity'])('"%s" is no time', (text) => {
    expect(parseTime(text)).toBeNull();
  });
});

describe('fragmentTime', () => {
  it('reads t from the fragment, with or without other parameters', () => {
    expect(fragmentTime('#t=1:23')).toBe(83);
    expect(fragmentTime('#t=83')).toBe(83);
    expect(fragmentTime('t=1h2m3s')).toBe(3723);
    expect(fragmentTime('#x=1&t=0:30')).toBe(30);
    expect(fragmentTime('#t=1%3A23')).toBe(83);
  });

  it('no fragment, no t, or a bad t: null', () => {
    expect(fragmentTime('')).toBeNull();
    expect(fragmentTime('#')).toBeNull();
    expect(fragmentTime('#delete=abc')).toBeNull();
    expect(fragmentTime('#t=soon')).toBeNull();
  });
});

describe('startTime', () => {
  it('keeps a time inside the track; drops none, under a second, and at or past the end', () => {
    expect(startTime(83, 180)).toBe(83);
    expect(startTime(83, 0)).toBe(83); // duration unknown: try it
    expect(startTime(null, 180)).toBeNull();
    expect(startTime(0.4, 180)).toBeNull();
    expect(startTime(180, 180)).toBeNull();
    expect(startTime(500, 180)).toBeNull();
    expect(startTime(NaN, 180)).toBeNull();
  });
});

describe('linkAt', () => {
  it('adds the whole seconds as m:ss or h:mm:ss', () => {
    expect(linkAt('https://x/t/abc', 83.9)).toBe('https://x/t/abc#t=1:23');
    expect(linkAt('https://x/t/abc', 3723)).toBe('https://x/t/abc#t=1:02:03');
    expect(linkAt('https://x/t/abc', 5)).toBe('https://x/t/abc#t=0:05');
  });

  it('under a second: the plain link', () => {
    expect(linkAt('https://x/t/abc', 0.7)).toBe('https://x/t/abc');
    expect(linkAt('https://x/t/abc', NaN)).toBe('https://x/t/abc');
  });

  it('never carries the fragment the URL had (a manage token stays private)', () => {
    expect(linkAt('https://x/t/abc#delete=SECRET', 83)).toBe('https://x/t/abc#t=1:23');
    expect(linkAt('https://x/t/abc#t=0:10&delete=SECRET', 0)).toBe('https://x/t/abc');
  });

  it('round-trips through fragmentTime', () => {
    for (const t of [1, 59, 60, 83, 3599, 3600, 3723, 36000]) {
      const link = linkAt('https://x/t/abc', t);
      expect(fragmentTime(new URL(link).hash)).toBe(t);
    }
  });
});
