import { describe, expect, it } from 'vitest';
import { HashCancelled, md5Base64 } from './md5';

const blob = (s: string) => new Blob([s]);

describe('md5Base64', () => {
  it.each([
    ['', '1B2M2Y8AsgTpgAmY7PhCfg=='],
    ['abc', 'kAFQmDzST7DWlj99KOF/cg=='],
    ['The quick brown fox jumps over the lazy dog', 'nhB9nTcrtoJr2B01QqQZ1g=='],
  ])('%j → %s', async (input, want) => {
    expect(await md5Base64(blob(input))).toBe(want);
  });

  it.each([1, 2, 3, 7, 64])('gives the same digest with %i-byte slices', async (sliceBytes) => {
    const seen: number[] = [];
    const got = await md5Base64(blob('The quick brown fox jumps over the lazy dog'), {
      sliceBytes,
      onProgress: (done) => seen.push(done),
    });
    expect(got).toBe('nhB9nTcrtoJr2B01QqQZ1g==');
    expect(seen.length).toBe(Math.ceil(43 / sliceBytes));
    expect(seen.at(-1)).toBe(43);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('hashes "abc" one byte at a time', async () => {
    expect(await md5Base64(blob('abc'), { sliceBytes: 1 })).toBe('kAFQmDzST7DWlj99KOF/cg==');
  });

  it('binary content across slice boundaries', async () => {
    const bytes = new Uint8Array(1000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const whole = await md5Base64(new Blob([bytes]), { sliceBytes: 4096 });
    const sliced = await md5Base64(new Blob([bytes]), { sliceBytes: 33 });
    expect(sliced).toBe(whole);
    expect(whole).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it('stops when cancelled', async () => {
    let calls = 0;
    await expect(
      md5Base64(blob('abcdef'), { sliceBytes: 2, isCancelled: () => ++calls > 1 }),
    ).rejects.toBeInstanceOf(HashCancelled);
  });
});
