import { describe, expect, it } from 'vitest';
import { REFRESH_MS, Refresher } from './refresh';

/** A fake browser: timers run only when the test fires them; each load waits for the test to finish it. */
function fakeHost() {
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let nextId = 1;
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const host = {
    hidden: false,
    loads: 0,
    visible: () => !host.hidden,
    load: () =>
      new Promise<void>((resolve, reject) => {
        host.loads++;
        pending.push({ resolve, reject });
      }),
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimer: (h: unknown) => {
      timers.delete(h as number);
    },
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    host,
    timers,
    /** Ends the oldest load under way. */
    async finish(fail = false) {
      const p = pending.shift();
      if (!p) throw new Error('no load under way');
      if (fail) p.reject(new Error('boom'));
      else p.resolve();
      await settle();
    },
    /** Fires every planned timer. */
    async tick() {
      const due = [...timers.entries()];
      timers.clear();
      for (const [, t] of due) t.fn();
      await settle();
    },
    inFlight: () => pending.length,
  };
}

describe('Refresher', () => {
  it('loads at once, then a minute after each answer', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    expect(f.host.loads).toBe(1);
    expect(f.timers.size).toBe(0); // nothing planned while the first is under way
    await f.finish();
    expect([...f.timers.values()].map((t) => t.ms)).toEqual([REFRESH_MS]);
    await f.tick();
    expect(f.host.loads).toBe(2);
    await f.finish();
    expect(f.timers.size).toBe(1);
  });

  it('keeps refreshing after a failed load', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    await f.finish(true);
    expect(f.timers.size).toBe(1);
    await f.tick();
    expect(f.host.loads).toBe(2);
  });

  it('never has two requests under way: a slow answer delays the next, nothing piles up', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    // The page comes back into view several times while the first request hangs.
    for (let i = 0; i < 5; i++) r.visibilityChanged();
    expect(f.host.loads).toBe(1);
    expect(f.inFlight()).toBe(1);
    expect(r.busy).toBe(true);
    await f.finish();
    expect(r.busy).toBe(false);
    expect(f.timers.size).toBe(1);
  });

  it('asks nothing while hidden and refreshes at once when shown again', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    await f.finish();
    f.host.hidden = true;
    r.visibilityChanged();
    expect(f.timers.size).toBe(0); // the minute's timer is cancelled
    await f.tick();
    expect(f.host.loads).toBe(1);

    f.host.hidden = false;
    r.visibilityChanged();
    expect(f.host.loads).toBe(2);
    await f.finish();
    expect(f.timers.size).toBe(1); // one timer, not one per return
    r.visibilityChanged();
    expect(f.host.loads).toBe(3);
    expect(f.timers.size).toBe(0); // the old timer gave way to the refresh under way
  });

  it('plans nothing when the page was hidden during a request', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    f.host.hidden = true;
    r.visibilityChanged();
    await f.finish();
    expect(f.timers.size).toBe(0);
  });

  it('a hidden page does not load at start; showing it does', () => {
    const f = fakeHost();
    f.host.hidden = true;
    const r = new Refresher(f.host);
    r.start();
    expect(f.host.loads).toBe(0);
    f.host.hidden = false;
    r.visibilityChanged();
    expect(f.host.loads).toBe(1);
  });

  it('stops', async () => {
    const f = fakeHost();
    const r = new Refresher(f.host);
    r.start();
    await f.finish();
    r.stop();
    expect(f.timers.size).toBe(0);
    r.visibilityChanged();
    expect(f.host.loads).toBe(1);
  });
});
