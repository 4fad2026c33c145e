import { describe, expect, it } from 'vitest';
import type { Track } from './api';
import type { UploadItem } from './queue';
import { firstPlayable, setCandidates, setKey, step, suggestedTitle, totalSeconds, type KeyLike } from './sets';

const track = (id: string, over: Partial<Track> = {}): Track => ({
  id,
  url: `https://x/t/${id}`,
  status: 'ready',
  filename: `${id}.mp3`,
  type: 'audio/mpeg',
  size: 1,
  downloadable: true,
  stream: `/api/tracks/${id}/stream.m3u8`,
  duration: 10,
  ...over,
});

describe('step and firstPlayable: play-through skips what cannot play', () => {
  const list = [
    track('A', { status: 'processing', stream: undefined }),
    track('B'),
    track('C', { status: 'failed', stream: undefined }),
    track('D', { stream: undefined, preview: 'https://s3/d.ogg' }),
    track('E', { stream: undefined }),
  ];
  it.each([
    [1, 1, 3],
    [3, 1, null],
    [3, -1, 1],
    [1, -1, null],
    [0, 1, 1],
    [4, -1, 3],
  ] as const)('from %i in direction %i: %s', (from, dir, want) => {
    expect(step(list, from, dir)).toBe(want);
  });
  it('starts at the first playable track, or nowhere', () => {
    expect(firstPlayable(list)).toBe(1);
    expect(firstPlayable([list[0], list[2]])).toBeNull();
    expect(firstPlayable([])).toBeNull();
  });
});

describe('setKey', () => {
  const key = (k: string, over: Partial<KeyLike> = {}): KeyLike => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, target: null, ...over });
  it.each([
    ['n', 'next'],
    ['N', 'next'],
    ['MediaTrackNext', 'next'],
    ['p', 'previous'],
    ['P', 'previous'],
    ['MediaTrackPrevious', 'previous'],
    [' ', null],
    ['ArrowRight', null],
    ['x', null],
  ] as const)('%j → %s', (k, want) => {
    expect(setKey(key(k))).toBe(want);
  });
  it('leaves shortcuts of the browser and typing alone', () => {
    expect(setKey(key('n', { ctrlKey: true }))).toBeNull();
    expect(setKey(key('n', { metaKey: true }))).toBeNull();
    expect(setKey(key('p', { altKey: true }))).toBeNull();
    expect(setKey(key('n', { target: { tagName: 'INPUT' } as unknown as EventTarget }))).toBeNull();
    expect(setKey(key('n', { target: { tagName: 'TEXTAREA' } as unknown as EventTarget }))).toBeNull();
    expect(setKey(key('n', { target: { tagName: 'DIV', isContentEditable: true } as unknown as EventTarget }))).toBeNull();
    expect(setKey(key('n', { target: { tagName: 'BUTTON' } as unknown as EventTarget }))).toBe('next');
  });
});

it('totalSeconds counts the known durations', () => {
  expect(totalSeconds([track('A', { duration: 61.5 }), track('B', { duration: undefined }), track('C', { duration: 60 })])).toBe(121.5);
});

describe('the upload page: which uploads make a set, and its first title', () => {
  const item = (key: number, state: UploadItem['state'], album?: string): UploadItem => ({
    key,
    name: `${key}.mp3`,
    size: 1,
    options: { downloadable: true, public: false },
    state,
    progress: 1,
    created: state === 'refused' || state === 'queued' ? undefined : { id: `Id${key}xxxxx`, url: '', status: 'pending', upload: { method: 'PUT', url: '', expiresAt: '', headers: {} }, deleteToken: `tok${key}`, expiresAt: '' },
    track: album === undefined ? undefined : track(`Id${key}xxxxx`, { tags: { album } }),
  });
  it('takes what the server accepted and did not fail, in the order added', () => {
    const items = [item(1, 'ready'), item(2, 'failed'), item(3, 'processing'), item(4, 'refused'), item(5, 'uploading'), item(6, 'cancelled')];
    expect(setCandidates(items).map((i) => i.key)).toEqual([1, 3]);
  });
  it('suggests the album the tracks share, and nothing otherwise', () => {
    expect(suggestedTitle([item(1, 'ready', 'Live'), item(2, 'ready', 'Live')])).toBe('Live');
    expect(suggestedTitle([item(1, 'ready', 'Live'), item(2, 'ready', 'Studio')])).toBe('');
    expect(suggestedTitle([item(1, 'ready', 'Live'), item(2, 'processing')])).toBe('');
    expect(suggestedTitle([item(1, 'ready', ''), item(2, 'ready', '')])).toBe('');
  });
});
