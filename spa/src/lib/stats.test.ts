import { describe, expect, it } from 'vitest';
import {
  amount,
  chartColours,
  failureReason,
  countCeiling,
  formatCount,
  formatFactor,
  formatSeconds,
  formatStorage,
  HOURS,
  hourLabel,
  hourlySeries,
  hourlySummary,
  loadText,
  mix,
  parseHourly,
  parseStats,
  processingSeries,
  processingSummary,
  statusSeries,
  statusSummary,
  tickLabel,
  timeLabel,
  type Stats,
} from './stats';

// The contract's example (docs/api.md, "Operations"), with a full 48-hour series.
const START = Date.parse('2026-11-29T04:00:00Z');
const HOUR = 3600_000;
const example = {
  tracks: { pending: 1, processing: 0, ready: 12, failed: 2 },
  bytesStored: 123456789,
  followers: 3,
  last24h: { uploads: 15, plays: 40, downloads: 3, bytesUploaded: 98765432, failed: 2, processing: { p50: 4.2, p99: 31.0, realtimeFactor: 38.5 } },
  hourly: Array.from({ length: 48 }, (_, i) => ({ hour: new Date(START + i * HOUR).toISOString(), uploads: i % 5 === 0 ? 1 : 0, plays: i === 47 ? 9 : i % 3 })),
};

const UTC = { locale: 'en-GB', timeZone: 'UTC' };
const PARIS = { locale: 'en-GB', timeZone: 'Europe/Paris' };
const NEW_YORK = { locale: 'en-US', timeZone: 'America/New_York' };

describe('parseStats', () => {
  it('reads the contract example', () => {
    const s = parseStats(example);
    expect(s.tracks).toEqual({ pending: 1, processing: 0, ready: 12, failed: 2 });
    expect(s.bytesStored).toBe(123456789);
    expect(s.followers).toBe(3);
    expect(s.last24h).toEqual({
      uploads: 15,
      plays: 40,
      downloads: 3,
      bytesUploaded: 98765432,
      failed: 2,
      processing: { p50: 4.2, p99: 31, realtimeFactor: 38.5 },
    });
    expect(s.hourly).toHaveLength(48);
    expect(s.hourly[0]).toEqual({ at: START, uploads: 1, plays: 0 });
    expect(s.hourly[47]).toEqual({ at: START + 47 * HOUR, uploads: 0, plays: 9 });
  });

  it('turns anything that is not a count into null, and never throws', () => {
    for (const raw of [null, undefined, 42, 'x', [], [1, 2], true, { tracks: 'x' }, { last24h: [] }, { hourly: {} }]) {
      const s = parseStats(raw);
      expect(s.tracks).toEqual({ pending: null, processing: null, ready: null, failed: null });
      expect(s.bytesStored).toBeNull();
      expect(s.last24h.processing).toEqual({ p50: null, p99: null, realtimeFactor: null });
      expect(s.hourly).toEqual([]);
    }
    const s = parseStats({
      tracks: { pending: '1', processing: -1, ready: NaN, failed: Infinity },
      bytesStored: null,
      followers: {},
      last24h: { uploads: [3], plays: true, processing: null },
    });
    expect(s.tracks).toEqual({ pending: null, processing: null, ready: null, failed: null });
    expect(s.bytesStored).toBeNull();
    expect(s.followers).toBeNull();
    expect(s.last24h.uploads).toBeNull();
    expect(s.last24h.plays).toBeNull();
    expect(s.last24h.processing).toEqual({ p50: null, p99: null, realtimeFactor: null });
  });

  it('keeps the fields that are good when others are missing', () => {
    const s = parseStats({ tracks: { ready: 5 }, last24h: { processing: { p50: 2, p99: null } } });
    expect(s.tracks).toEqual({ pending: null, processing: null, ready: 5, failed: null });
    expect(s.last24h.processing).toEqual({ p50: 2, p99: null, realtimeFactor: null });
    expect(amount(0)).toBe(0);
    expect(amount(-0.5)).toBeNull();
  });
});

describe('parseHourly', () => {
  it('drops entries without a parseable hour, sorts them oldest first, one per hour', () => {
    const h = parseHourly([
      { hour: '2026-12-01T05:00:00Z', uploads: 1, plays: 2 },
      { hour: 'yesterday', uploads: 9, plays: 9 },
      null,
      'x',
      { uploads: 4 },
      { hour: 1733029200000, uploads: 4 },
      { hour: '2026-12-01T03:00:00Z', uploads: 'two', plays: 7 },
      { hour: '2026-12-01T05:00:00Z', uploads: 3, plays: 4 },
    ]);
    expect(h).toEqual([
      { at: Date.parse('2026-12-01T03:00:00Z'), uploads: null, plays: 7 },
      { at: Date.parse('2026-12-01T05:00:00Z'), uploads: 3, plays: 4 },
    ]);
  });

  it('keeps the newest 48 hours of a longer series', () => {
    const long = Array.from({ length: 60 }, (_, i) => ({ hour: new Date(START + i * HOUR).toISOString(), uploads: i, plays: 0 }));
    const h = parseHourly(long.reverse());
    expect(h).toHaveLength(HOURS);
    expect(h[0].uploads).toBe(12);
    expect(h[47].uploads).toBe(59);
  });
});

describe('chart data', () => {
  it('puts each hour at its middle, in seconds, with its two counts', () => {
    const [x, up, pl] = hourlySeries(parseStats(example).hourly);
    expect(x).toHaveLength(48);
    expect(x[0]).toBe(START / 1000 + 1800);
    expect(x[1] - x[0]).toBe(3600);
    expect(up.slice(0, 6)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(pl.slice(-2)).toEqual([1, 9]);
    expect(hourlySeries([])).toEqual([[], [], []]);
    expect(hourlySeries([{ at: START, uploads: null, plays: 2 }])).toEqual([[START / 1000 + 1800], [null], [2]]);
  });

  it('orders the statuses pending, processing, ready, failed; nulls stay gaps', () => {
    expect(statusSeries({ pending: 1, processing: 0, ready: 12, failed: 2 })).toEqual([
      [0, 1, 2, 3],
      [1, 0, 12, 2],
    ]);
    expect(statusSeries({ pending: null, processing: 0, ready: 3, failed: null })[1]).toEqual([null, 0, 3, null]);
    expect(processingSeries({ p50: 4.2, p99: 31, realtimeFactor: 38.5 })).toEqual([
      [0, 1],
      [4.2, 31],
    ]);
  });

  it('gives count axes a top of at least 1 with a little headroom', () => {
    expect(countCeiling([])).toBe(1);
    expect(countCeiling([0, null])).toBe(1);
    expect(countCeiling([1])).toBe(2);
    expect(countCeiling([3, null, 1])).toBe(5);
    expect(countCeiling([9])).toBe(10);
    expect(countCeiling([10])).toBe(20);
    expect(countCeiling([40])).toBe(50);
    expect(countCeiling([0.42])).toBe(0.5);
    for (const n of [1, 7, 19, 95, 120, 999, 12345]) expect(countCeiling([n])).toBeGreaterThan(n);
  });
});

describe('local-time labels', () => {
  const t = Date.parse('2026-12-01T13:00:00Z'); // a Tuesday

  it('says the hour in the reader’s time zone and locale', () => {
    expect(hourLabel(t, UTC)).toBe('Tue 13:00');
    expect(hourLabel(t, PARIS)).toBe('Tue 14:00');
    expect(hourLabel(t, NEW_YORK)).toBe('Tue 08:00 AM');
    expect(hourLabel(Date.parse('2026-12-01T23:30:00Z'), PARIS)).toBe('Wed 00:30');
    expect(timeLabel(t + 3 * 60_000, PARIS)).toBe('14:03');
    expect(hourLabel(NaN, UTC)).toBe('—');
  });

  it('marks the reader’s midnight with the weekday, other ticks with the time', () => {
    expect(tickLabel(Date.parse('2026-12-01T23:00:00Z'), PARIS)).toBe('Wed');
    expect(tickLabel(Date.parse('2026-12-01T23:00:00Z'), UTC)).toBe('23:00');
    expect(tickLabel(Date.parse('2026-12-02T00:00:00Z'), UTC)).toBe('Wed');
    expect(tickLabel(Date.parse('2026-12-02T05:00:00Z'), NEW_YORK)).toBe('Wed');
    expect(tickLabel(Date.parse('2026-12-01T18:00:00Z'), NEW_YORK)).toBe('1:00 PM');
    expect(tickLabel(Date.parse('2026-12-01T06:00:00Z'), PARIS)).toBe('7:00');
    expect(tickLabel(NaN, UTC)).toBe('');
  });

  it('follows a daylight-saving change: 23 distinct local hours in 24 real ones', () => {
    // Europe/Paris leaves summer time on 2026-10-25 at 01:00 UTC.
    const from = Date.parse('2026-10-24T22:00:00Z');
    const labels = Array.from({ length: 24 }, (_, i) => hourLabel(from + i * HOUR, PARIS));
    expect(labels[0]).toBe('Sun 00:00');
    expect(labels.filter((l) => l === 'Sun 02:00')).toHaveLength(2);
    expect(new Set(labels).size).toBe(23);
  });
});

describe('formatting', () => {
  it('writes counts with separators and a dash for unknown', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(2.6)).toBe('3');
    expect(formatCount(null)).toBe('—');
  });

  it('writes storage in human units', () => {
    expect(formatStorage(null)).toBe('—');
    expect(formatStorage(0)).toBe('0 bytes');
    expect(formatStorage(1)).toBe('1 byte');
    expect(formatStorage(1023)).toBe('1023 bytes');
    expect(formatStorage(1536)).toBe('1.5 KB');
    expect(formatStorage(123456789)).toBe('118 MB');
    expect(formatStorage(98765432)).toBe('94.2 MB');
    expect(formatStorage(2147483648)).toBe('2 GB');
    expect(formatStorage(1024 * 1024 - 1)).toBe('1 MB');
    expect(formatStorage(5 * 1024 ** 4)).toBe('5 TB');
    expect(formatStorage(300 * 1024 ** 3)).toBe('300 GB');
  });

  it('writes processing times and speed', () => {
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(0.42)).toBe('0.4 s');
    expect(formatSeconds(4.2)).toBe('4.2 s');
    expect(formatSeconds(31)).toBe('31 s');
    expect(formatSeconds(9.97)).toBe('10 s');
    expect(formatSeconds(119.6)).toBe('2 min');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatFactor(38.5)).toBe('38.5× realtime');
    expect(formatFactor(40)).toBe('40× realtime');
    expect(formatFactor(null)).toBe('—');
  });
});

describe('the text alternatives', () => {
  it('sums the hours and names the busiest ones', () => {
    const s = parseStats(example);
    const text = hourlySummary(s.hourly, UTC);
    const uploads = s.hourly.reduce((n, h) => n + (h.uploads ?? 0), 0);
    const plays = s.hourly.reduce((n, h) => n + (h.plays ?? 0), 0);
    expect(text).toBe(`${uploads} uploads and ${plays} plays in the last 48 hours. Most uploads: 1 at Sun 04:00. Most plays: 9 at Tue 03:00.`);
    expect(hourlySummary([], UTC)).toBe('No hourly figures are available.');
    expect(hourlySummary([{ at: START, uploads: 1, plays: 0 }], UTC)).toBe('1 upload and 0 plays in the last hour. Most uploads: 1 at Sun 04:00.');
    expect(hourlySummary([{ at: START, uploads: null, plays: null }], UTC)).toBe('0 uploads and 0 plays in the last hour.');
  });

  it('lists the statuses it knows', () => {
    expect(statusSummary({ pending: 1, processing: 0, ready: 12, failed: 2 })).toBe('1 pending, 0 processing, 12 ready and 2 failed tracks.');
    expect(statusSummary({ pending: null, processing: null, ready: 1, failed: null })).toBe('1 ready track.');
    expect(statusSummary({ pending: null, processing: null, ready: null, failed: null })).toBe('Track counts are not available.');
  });

  it('says the percentiles and speed, or that nothing was processed', () => {
    expect(processingSummary({ p50: 4.2, p99: 31, realtimeFactor: 38.5 })).toBe(
      'In the last 24 hours, half of the tracks took 4.2 s or less; 99 in 100 took 31 s or less. Processing ran at 38.5× realtime.',
    );
    expect(processingSummary({ p50: null, p99: null, realtimeFactor: null })).toBe('No track was processed in the last 24 hours.');
    expect(processingSummary({ p50: 3, p99: null, realtimeFactor: null })).toBe('In the last 24 hours, half of the tracks took 3 s or less.');
  });
});

describe('loadText', () => {
  const stats: Stats = parseStats(example);
  const at = Date.parse('2026-12-01T13:03:00Z');

  it('says loading, then when the numbers are from', () => {
    expect(loadText({ stats: null, updatedAt: null, failure: null }, UTC)).toEqual({ updated: 'Loading…', problem: '' });
    expect(loadText({ stats, updatedAt: at, failure: null }, UTC)).toEqual({ updated: 'Updated at 13:03. Refreshes every minute.', problem: '' });
  });

  it('keeps the last numbers after a failed refresh and says they may be stale', () => {
    const t = loadText({ stats, updatedAt: at, failure: { at: at + 120_000, reason: 'the server answered 503.' } }, PARIS);
    expect(t.updated).toBe('Updated at 14:03. Refreshes every minute.');
    expect(t.problem).toBe('Could not refresh at 14:05: the server answered 503. These numbers are from 14:03 and may be stale.');
  });

  it('says why there are no numbers at all', () => {
    const t = loadText({ stats: null, updatedAt: null, failure: { at, reason: 'the server could not be reached.' } }, UTC);
    expect(t).toEqual({ updated: '', problem: 'The statistics could not be loaded: the server could not be reached. Trying again every minute.' });
  });
});

describe('failureReason', () => {
  it('says the status, with the API’s message when it has one', () => {
    expect(failureReason(503, null)).toBe('the server answered 503.');
    expect(failureReason(503, { error: { code: 'internal', message: 'internal error' } })).toBe('the server answered 503: internal error.');
    expect(failureReason(404, { error: { message: 'this service keeps no statistics.' } })).toBe('the server answered 404: this service keeps no statistics.');
    expect(failureReason(500, { error: { message: 'a\nb\u0000c' } })).toBe('the server answered 500: a b c.');
    expect(failureReason(500, { error: { message: 42 } })).toBe('the server answered 500.');
    expect(failureReason(500, { error: { message: '   ' } })).toBe('the server answered 500.');
    expect(failureReason(500, { error: { message: 'x'.repeat(500) } })).toHaveLength('the server answered 500: '.length + 201);
  });
});

describe('chart colours', () => {
  it('mixes like CSS color-mix in srgb', () => {
    expect(mix('#000000', '#ffffff', 0.5)).toBe('#808080');
    expect(mix('#1b1a19', '#fbfaf8', 1)).toBe('#1b1a19');
    expect(mix('#1b1a19', '#fbfaf8', 0)).toBe('#fbfaf8');
    expect(mix('red', '#ffffff', 0.5)).toBe('red');
  });

  it('derives the chart colours from the page’s, with defaults for anything else', () => {
    const light = chartColours(' #1b1a19', '#fbfaf8 ', '#b93c0d');
    expect(light).toEqual({ text: '#1b1a19', axis: mix('#1b1a19', '#fbfaf8', 0.68), grid: mix('#1b1a19', '#fbfaf8', 0.12), uploads: '#b93c0d', plays: mix('#1b1a19', '#fbfaf8', 0.68) });
    expect(chartColours('', 'var(--x)', 'rgb(1,2,3)')).toEqual(light);
    const dark = chartColours('#efedea', '#141312', '#ff9a62');
    expect(dark.uploads).toBe('#ff9a62');
    expect(dark.plays).not.toBe(light.plays);
  });
});
