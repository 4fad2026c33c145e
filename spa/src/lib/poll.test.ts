import { expect, it } from 'vitest';
import { nextPoll, POLL_GIVE_UP_MS, pollDelay, RECHECK_HIDDEN_MS, recheckOnVisible } from './poll';

it('starts at 2 s and backs off to 10 s', () => {
  const delays = Array.from({ length: 12 }, (_, i) => pollDelay(i));
  expect(delays.slice(0, 4)).toEqual([2000, 2500, 3125, 3906]);
  expect(delays.at(-1)).toBe(10_000);
  for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
  expect(pollDelay(-3)).toBe(2000);
});

it('stops polling a processing track after about 30 minutes', () => {
  const start = 1_000_000;
  let now = start;
  let polls = 0;
  for (let attempt = 0; ; attempt++) {
    const d = nextPoll(attempt, start, now);
    if (d === null) break;
    now += d;
    polls++;
    expect(polls).toBeLessThan(1000);
  }
  expect(now - start).toBeLessThanOrEqual(POLL_GIVE_UP_MS);
  expect(now - start).toBeGreaterThan(POLL_GIVE_UP_MS - 10_000);
  expect(nextPoll(0, start, start)).toBe(2000);
});

it('re-checks on becoming visible only after being hidden more than 10 minutes', () => {
  expect(recheckOnVisible(null, 5e9)).toBe(false);
  expect(recheckOnVisible(0, RECHECK_HIDDEN_MS)).toBe(false);
  expect(recheckOnVisible(0, RECHECK_HIDDEN_MS + 1)).toBe(true);
});
