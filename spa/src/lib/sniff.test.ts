import { describe, expect, it } from 'vitest';
import { checkFile, DEFAULT_TYPES, inferType, sniffAudio } from './sniff';

const bytes = (...parts: (string | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return new Uint8Array(out);
};
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

describe('inferType', () => {
  it.each([
    ['song.mp3', 'audio/mpeg', 'audio/mpeg'],
    ['song.flac', '', 'audio/flac'],
    ['song.FLAC', 'application/octet-stream', 'audio/flac'],
    ['song.m4a', '', 'audio/mp4'],
    ['song.m4a', 'audio/x-m4a', 'audio/x-m4a'],
    ['song.opus', '', 'audio/opus'],
    ['song.ogg', 'application/ogg', 'audio/ogg'],
    ['clip.mp4', 'video/mp4', 'audio/mp4'],
    ['song.wav', 'audio/wav; codecs=1', 'audio/wav'],
    ['song.aiff', '', 'audio/aiff'],
    ['song.weba', '', 'audio/webm'],
    ['song.aac', 'audio/vnd.dlna.adts', 'audio/aac'],
    ['notes.txt', 'text/plain', null],
    ['picture.png', 'image/png', null],
    ['noextension', '', null],
  ])('%s (%s) → %s', (name, mime, want) => expect(inferType(name, mime)).toBe(want));

  it('maps onto an alias the server lists', () => {
    expect(inferType('a.flac', '', ['audio/x-flac'])).toBe('audio/x-flac');
    expect(inferType('a.flac', '', ['audio/mpeg'])).toBe(null);
  });
});

describe('sniffAudio', () => {
  it.each([
    ['ID3', bytes('ID3', [4, 0, 0, 0, 0, 0, 0]), 'mpeg'],
    ['MPEG frame sync FFFB', bytes([0xff, 0xfb, 0x90, 0x64]), 'mpeg'],
    ['MPEG frame sync FFE3 after padding', bytes([0, 0, 0, 0xff, 0xe3, 0x18, 0xc4]), 'mpeg'],
    ['ADTS FFF1', bytes([0xff, 0xf1, 0x50, 0x80]), 'aac'],
    ['ADTS FFF9', bytes([0xff, 0xf9, 0x50, 0x80]), 'aac'],
    ['Ogg', bytes('OggS', [0, 2]), 'ogg'],
    ['FLAC', bytes('fLaC', [0, 0, 0, 34]), 'flac'],
    ['WAVE', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'wav'],
    ['M4A', bytes([0, 0, 0, 0x20], 'ftypM4A ', [0, 0, 0, 0]), 'mp4'],
    ['AIFF', bytes('FORM', [0, 0, 0, 0], 'AIFFCOMM'), 'aiff'],
    ['AIFC', bytes('FORM', [0, 0, 0, 0], 'AIFC'), 'aiff'],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), 'webm'],
  ])('%s', (_, b, want) => expect(sniffAudio(b)).toBe(want));

  it.each([
    ['PNG', bytes(PNG)],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])],
    ['RIFF AVI', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST')],
    ['text', bytes('hello world, this is text')],
    ['PDF', bytes('%PDF-1.7')],
    ['M3U8 playlist', bytes('#EXTM3U\n#EXT-X-VERSION:3\n')],
    ['reserved MPEG version', bytes([0xff, 0xeb, 0x90, 0x64])],
    ['bad bitrate', bytes([0xff, 0xfb, 0xf0, 0x64])],
    ['empty', new Uint8Array(0)],
    ['zeros', new Uint8Array(64)],
  ])('refuses %s', (_, b) => expect(sniffAudio(b)).toBe(null));
});

describe('checkFile', () => {
  const limits = { maxUploadBytes: 2147483648, types: DEFAULT_TYPES };
  const file = (name: string, type: string, content: Uint8Array<ArrayBuffer>) => new File([content], name, { type });

  it('accepts an MP3', async () => {
    expect(await checkFile(file('a.mp3', 'audio/mpeg', bytes('ID3', [3, 0, 0])), limits)).toEqual({ ok: true, type: 'audio/mpeg' });
  });

  it('accepts a FLAC with no type', async () => {
    expect(await checkFile(file('a.flac', '', bytes('fLaC', [0])), limits)).toEqual({ ok: true, type: 'audio/flac' });
  });

  it('refuses a PNG renamed .mp3', async () => {
    const got = await checkFile(file('photo.mp3', 'audio/mpeg', bytes(PNG)), limits);
    expect(got).toEqual({ ok: false, reason: 'not an audio file: its content does not look like audio' });
  });

  it('refuses a text file', async () => {
    const got = await checkFile(file('notes.txt', 'text/plain', bytes('hello')), limits);
    expect(got.ok).toBe(false);
    expect(!got.ok && got.reason).toMatch(/^not an audio file/);
  });

  it('refuses an empty file', async () => {
    expect(await checkFile(file('a.mp3', 'audio/mpeg', new Uint8Array(0)), limits)).toEqual({ ok: false, reason: 'empty file' });
  });

  it('refuses a file over the limit with both sizes', async () => {
    // A stand-in with a large size: nothing of it is read before the size check.
    const big = { name: 'long.wav', type: 'audio/wav', size: Math.round(2.1 * 1024 ** 3), slice: () => { throw new Error('read'); } };
    const got = await checkFile(big as unknown as File, limits);
    expect(got).toEqual({ ok: false, reason: 'too large: 2.1 GB, the limit is 2 GB' });
  });
});
