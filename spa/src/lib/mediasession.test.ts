import { describe, expect, it } from 'vitest';
import type { Track } from './api';
import { artworkOf, metadataOf, showInMediaSession, showPosition, type ActionDetails, type MediaSessionLike, type PositionState } from './mediasession';

const track = (id: string, over: Partial<Track> = {}): Track => ({
  id,
  url: `https://x/t/${id}`,
  status: 'ready',
  filename: `${id}.mp3`,
  type: 'audio/mpeg',
  size: 1,
  downloadable: true,
  duration: 10,
  ...over,
});

/** A fake navigator.mediaSession that records what the page gives it. */
function fakeSession() {
  const handlers = new Map<string, ((d: ActionDetails) => void) | null>();
  const positions: Array<PositionState | undefined> = [];
  const session: MediaSessionLike = {
    metadata: null,
    playbackState: 'none',
    setActionHandler: (a, h) => void handlers.set(a, h),
    setPositionState: (p) => void positions.push(p),
  };
  return { session, handlers, positions };
}

/** Records what the player was asked to do. */
function recorder() {
  const calls: string[] = [];
  return {
    calls,
    actions: {
      play: () => calls.push('play'),
      pause: () => calls.push('pause'),
      seekTo: (t: number) => calls.push(`seekTo ${t}`),
      seekBy: (s: number) => calls.push(`seekBy ${s}`),
    },
  };
}

describe('metadata', () => {
  it('the tags, the album tag else the fallback (a set title), the cover with its type and size', () => {
    const t = track('A', { tags: { title: 'Song', artist: 'Band', album: 'Live' }, cover: 'https://s3/t/A/cover.jpg?X-Amz-Signature=abc' });
    expect(metadataOf(t, 'My set', { width: 600, height: 600 })).toEqual({
      title: 'Song',
      artist: 'Band',
      album: 'Live',
      artwork: [{ src: 'https://s3/t/A/cover.jpg?X-Amz-Signature=abc', type: 'image/jpeg', sizes: '600x600' }],
    });
    expect(metadataOf(track('B'), 'My set')).toEqual({ title: 'B.mp3', artist: '', album: 'My set', artwork: [] });
    expect(metadataOf(track('C'))).toEqual({ title: 'C.mp3', artist: '', album: '', artwork: [] });
  });

  it('artwork: no type for an unknown extension, no sizes before the picture is measured', () => {
    expect(artworkOf('https://s3/cover.png')).toEqual({ src: 'https://s3/cover.png', type: 'image/png' });
    expect(artworkOf('https://s3/cover')).toEqual({ src: 'https://s3/cover' });
    expect(artworkOf('https://s3/cover.bmp', { width: 0, height: 0 })).toEqual({ src: 'https://s3/cover.bmp' });
    expect(artworkOf('/t/x/cover.webp', { width: 300.4, height: 200 })).toEqual({ src: '/t/x/cover.webp', type: 'image/webp', sizes: '300x200' });
  });
});

describe('showInMediaSession', () => {
  it('sets the metadata and wires play, pause, seeking, next and previous; undo clears every handler', () => {
    const { session, handlers } = fakeSession();
    const { calls, actions } = recorder();
    let moved = '';
    const undo = showInMediaSession(session, (m) => ({ wrapped: m }), metadataOf(track('A'), 'S'), {
      ...actions,
      next: () => (moved = 'next'),
      previous: () => (moved = 'previous'),
    });
    expect(session.metadata).toEqual({ wrapped: { title: 'A.mp3', artist: '', album: 'S', artwork: [] } });
    handlers.get('play')!({});
    handlers.get('pause')!({});
    handlers.get('seekto')!({ seekTime: 42.5 });
    handlers.get('seekto')!({}); // no time: nothing to do
    handlers.get('seekbackward')!({});
    handlers.get('seekforward')!({ seekOffset: 10 });
    expect(calls).toEqual(['play', 'pause', 'seekTo 42.5', 'seekBy -5', 'seekBy 10']);
    handlers.get('nexttrack')!({});
    expect(moved).toBe('next');
    handlers.get('previoustrack')!({});
    expect(moved).toBe('previous');
    undo();
    for (const a of ['play', 'pause', 'seekto', 'seekbackward', 'seekforward', 'nexttrack', 'previoustrack']) expect(handlers.get(a), a).toBeNull();
  });

  it('without a next or a previous, that button is cleared (greyed out)', () => {
    const { session, handlers } = fakeSession();
    showInMediaSession(session, (m) => m, metadataOf(track('A')), recorder().actions);
    expect(handlers.get('nexttrack')).toBeNull();
    expect(handlers.get('previoustrack')).toBeNull();
    expect(typeof handlers.get('play')).toBe('function');
  });

  it('survives browsers without Media Session or without an action', () => {
    expect(() => showInMediaSession(undefined, undefined, metadataOf(track('A')), recorder().actions)()).not.toThrow();
    const picky: MediaSessionLike = {
      metadata: null,
      setActionHandler: (a) => {
        if (a === 'seekto' || a === 'previoustrack') throw new TypeError('unsupported');
      },
    };
    expect(() => showInMediaSession(picky, (m) => m, metadataOf(track('A')), { ...recorder().actions, previous: () => {} })()).not.toThrow();
    expect(picky.metadata).not.toBeNull();
  });
});

describe('showPosition', () => {
  it('gives the duration, the rate and the position, clamped to the track', () => {
    const { session, positions } = fakeSession();
    showPosition(session, 180, 83.2, true);
    expect(session.playbackState).toBe('playing');
    showPosition(session, 180, 200, false);
    expect(session.playbackState).toBe('paused');
    showPosition(session, 180, -3, false);
    showPosition(session, 180, NaN, false);
    expect(positions).toEqual([
      { duration: 180, playbackRate: 1, position: 83.2 },
      { duration: 180, playbackRate: 1, position: 180 },
      { duration: 180, playbackRate: 1, position: 0 },
      { duration: 180, playbackRate: 1, position: 0 },
    ]);
  });

  it('clears the position when the duration is unknown; tolerates a session without it or one that throws', () => {
    const { session, positions } = fakeSession();
    showPosition(session, 0, 5, true);
    expect(positions).toEqual([undefined]);
    expect(() => showPosition(undefined, 10, 1, true)).not.toThrow();
    const old: MediaSessionLike = { metadata: null, setActionHandler: () => {} };
    expect(() => showPosition(old, 10, 1, true)).not.toThrow();
    const strict: MediaSessionLike = {
      metadata: null,
      setActionHandler: () => {},
      setPositionState: () => {
        throw new TypeError('bad state');
      },
    };
    expect(() => showPosition(strict, 10, 1, true)).not.toThrow();
  });
});
