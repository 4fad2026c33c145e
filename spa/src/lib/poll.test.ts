import { expect, it } from 'vitest';
import { pollDelay } from './poll';

it('starts at 2 s and backs off to 10 s', () => {
  const delays = Array.from({ length: 12 }, (_, i) => pollDelay(i));
  expect(delays.slice(0, 4)).toEqual([2000, 2500, 3125, 3906]);
  expect(delays.at(-1)).toBe(10_000);
  for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
  expect(pollDelay(-3)).toBe(2000);
});
