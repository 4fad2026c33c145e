import { describe, expect, it } from 'vitest';
import {
  decideRecovery,
  initialRecovery,
  MAX_RELOADS,
  MAX_RELOADS_PER_WINDOW,
  progressed,
  PROGRESS_MARGIN,
  RELOAD_WINDOW_MS,
  type Moment,
  type RecoveryState,
  type StreamError,
} from './recovery';

const net = (details: string, fatal: boolean, status?: number): StreamError => ({ type: 'networkError', details, fatal, status });
const at = (position = 0, now = 0): Moment => ({ position, now });

describe('decideRecovery', () => {
  it('reloads at once when a segment signature expired, even before hls.js gives up', () => {
    const got = decideRecovery(initialRecovery(), net('fragLoadError', false, 403), at(42, 1000));
    expect(got).toEqual({ action: 'reload', state: { reloads: 1, mediaRecoveries: 0, lastFailureAt: 42, reloadTimes: [1000] } });
  });

  it('reloads on a fatal network error', () => {
    expect(decideRecovery(initialRecovery(), net('fragLoadTimeOut', true), at()).action).toBe('reload');
    expect(decideRecovery(initialRecovery(), net('levelLoadError', true, 500), at()).action).toBe('reload');
  });

  it('leaves transient non-fatal network errors to hls.js', () => {
    expect(decideRecovery(initialRecovery(), net('fragLoadError', false, 503), at()).action).toBe('none');
    expect(decideRecovery(initialRecovery(), net('fragLoadError', false), at()).action).toBe('none');
  });

  it('reports a deleted track when the playlist is gone', () => {
    expect(decideRecovery(initialRecovery(), net('manifestLoadError', true, 404), at()).action).toBe('gone');
  });

  it('stops reloading after MAX_RELOADS without progress, and starts over after real progress', () => {
    let s: RecoveryState = initialRecovery();
    const actions: string[] = [];
    for (let i = 0; i <= MAX_RELOADS; i++) {
      const d = decideRecovery(s, net('fragLoadError', true, 403), at(30, i * 20_000));
      actions.push(d.action);
      s = d.state;
    }
    expect(actions).toEqual([...Array<string>(MAX_RELOADS).fill('reload'), 'fail']);
    s = progressed(s, 30 + PROGRESS_MARGIN + 1);
    expect(decideRecovery(s, net('fragLoadError', true, 403), at(45, 200_000)).action).toBe('reload');
  });

  it('same position fails again → eventually gives up, although the fragment is buffered after each reload', () => {
    let s: RecoveryState = initialRecovery();
    const actions: string[] = [];
    // reload → hls.js buffers the fragment holding the current time again (progress at about
    // the same position) → 403 → … Spread out in time so that only the position rule applies.
    for (let i = 0; i < 10 && actions.at(-1) !== 'fail'; i++) {
      const d = decideRecovery(s, net('fragLoadError', false, 403), at(120 + (i % 2) * 0.5, i * 61_000));
      actions.push(d.action);
      s = progressed(d.state, 120 + 4);
    }
    expect(actions).toEqual([...Array<string>(MAX_RELOADS).fill('reload'), 'fail']);
  });

  it('progress short of the failing position does not reset the count; past it does', () => {
    const d = decideRecovery(initialRecovery(), net('fragLoadError', true, 403), at(50, 0));
    expect(progressed(d.state, 50 + PROGRESS_MARGIN)).toBe(d.state);
    expect(progressed(d.state, 50 + PROGRESS_MARGIN + 0.1)).toMatchObject({ reloads: 0, lastFailureAt: null });
    const fresh = initialRecovery();
    expect(progressed(fresh, 5)).toBe(fresh);
  });

  it('window cap: at most MAX_RELOADS_PER_WINDOW reloads per RELOAD_WINDOW_MS, even with progress in between', () => {
    let s: RecoveryState = initialRecovery();
    const actions: string[] = [];
    for (let i = 0; i <= MAX_RELOADS_PER_WINDOW; i++) {
      const pos = i * 100; // each failure far past the previous one: the count starts over every time
      s = progressed(s, pos);
      const d = decideRecovery(s, net('fragLoadError', true, 403), at(pos, i * 1000));
      actions.push(d.action);
      s = d.state;
    }
    expect(actions).toEqual([...Array<string>(MAX_RELOADS_PER_WINDOW).fill('reload'), 'fail']);
    // Once the oldest reloads leave the window, reloading is allowed again.
    s = progressed(s, 10_000);
    expect(decideRecovery(s, net('fragLoadError', true, 403), at(10_000, RELOAD_WINDOW_MS + 1000)).action).toBe('reload');
  });

  it('escalates media errors: recover, swap codec, then fall back', () => {
    let s = initialRecovery();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decideRecovery(s, { type: 'mediaError', details: 'bufferAppendError', fatal: true }, at(10));
      seen.push(d.action);
      s = progressed(d.state, 12);
    }
    expect(seen).toEqual(['recoverMedia', 'swapCodecAndRecover', 'fallback']);
  });

  it('ignores non-fatal media errors such as stalls', () => {
    expect(decideRecovery(initialRecovery(), { type: 'mediaError', details: 'bufferStalledError', fatal: false }, at()).action).toBe('none');
  });

  it('falls back on other fatal errors', () => {
    expect(decideRecovery(initialRecovery(), { type: 'muxError', details: 'fragParsingError', fatal: true }, at()).action).toBe('fallback');
  });
});
