import { describe, expect, it } from 'vitest';
import { decideRecovery, initialRecovery, MAX_RELOADS, progressed, type RecoveryState, type StreamError } from './recovery';

const net = (details: string, fatal: boolean, status?: number): StreamError => ({ type: 'networkError', details, fatal, status });

describe('decideRecovery', () => {
  it('reloads at once when a segment signature expired, even before hls.js gives up', () => {
    const got = decideRecovery(initialRecovery(), net('fragLoadError', false, 403));
    expect(got).toEqual({ action: 'reload', state: { reloads: 1, mediaRecoveries: 0 } });
  });

  it('reloads on a fatal network error', () => {
    expect(decideRecovery(initialRecovery(), net('fragLoadTimeOut', true)).action).toBe('reload');
    expect(decideRecovery(initialRecovery(), net('levelLoadError', true, 500)).action).toBe('reload');
  });

  it('leaves transient non-fatal network errors to hls.js', () => {
    expect(decideRecovery(initialRecovery(), net('fragLoadError', false, 503)).action).toBe('none');
    expect(decideRecovery(initialRecovery(), net('fragLoadError', false)).action).toBe('none');
  });

  it('reports a deleted track when the playlist is gone', () => {
    expect(decideRecovery(initialRecovery(), net('manifestLoadError', true, 404)).action).toBe('gone');
  });

  it('stops reloading after MAX_RELOADS without progress, and starts over after progress', () => {
    let s: RecoveryState = initialRecovery();
    const actions: string[] = [];
    for (let i = 0; i <= MAX_RELOADS; i++) {
      const d = decideRecovery(s, net('fragLoadError', true, 403));
      actions.push(d.action);
      s = d.state;
    }
    expect(actions).toEqual([...Array(MAX_RELOADS).fill('reload'), 'fail']);
    s = progressed(s);
    expect(decideRecovery(s, net('fragLoadError', true, 403)).action).toBe('reload');
  });

  it('escalates media errors: recover, swap codec, then fall back', () => {
    let s = initialRecovery();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decideRecovery(s, { type: 'mediaError', details: 'bufferAppendError', fatal: true });
      seen.push(d.action);
      s = d.state;
    }
    expect(seen).toEqual(['recoverMedia', 'swapCodecAndRecover', 'fallback']);
  });

  it('ignores non-fatal media errors such as stalls', () => {
    expect(decideRecovery(initialRecovery(), { type: 'mediaError', details: 'bufferStalledError', fatal: false }).action).toBe('none');
  });

  it('falls back on other fatal errors', () => {
    expect(decideRecovery(initialRecovery(), { type: 'muxError', details: 'fragParsingError', fatal: true }).action).toBe('fallback');
  });
});
