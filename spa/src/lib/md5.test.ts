import { describe, expect, it } from 'vitest';
import { HashCancelled, md5Base64, partCount, PartHasher, partRange } from './md5';

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

/** Bytes that differ from part to part, so a part hashed at the wrong offset shows. */
function bytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 8) * 7) & 0xff;
  return b;
}

describe('parts', () => {
  it('cuts a file into full parts and a shorter last one', () => {
    expect(partCount(10, 4)).toBe(3);
    expect(partCount(8, 4)).toBe(2);
    expect(partCount(1, 4)).toBe(1);
    expect([1, 2, 3].map((n) => partRange(n, 4, 10))).toEqual([[0, 4], [4, 8], [8, 10]]);
  });
});

describe('PartHasher', () => {
  const partSize = 1000;
  const file = new Blob([bytes(3500)]); // parts of 1000, 1000, 1000 and 500 bytes
  const sliceMD5 = (n: number) => md5Base64(file.slice(...partRange(n, partSize, file.size)));

  it('hashes each part and the whole file, reading each byte once when asked in order', async () => {
    const h = new PartHasher(file, partSize);
    for (const n of [1, 2, 3, 4]) expect(await h.part(n)).toBe(await sliceMD5(n));
    expect(await h.wholeFile()).toBe(await md5Base64(file));
    expect(h.bytesRead).toBe(file.size);
  });

  it('serves requests made at once in order (the uploader asks for several parts together)', async () => {
    const h = new PartHasher(file, partSize);
    const got = await Promise.all([h.part(1), h.part(2), h.part(3), h.part(4), h.wholeFile()]);
    expect(got).toEqual([await sliceMD5(1), await sliceMD5(2), await sliceMD5(3), await sliceMD5(4), await md5Base64(file)]);
    expect(h.bytesRead).toBe(file.size);
  });

  it('resuming after parts 1 and 2 are stored: reads them for the whole-file digest only', async () => {
    const h = new PartHasher(file, partSize);
    expect(await h.part(3)).toBe(await sliceMD5(3));
    expect(h.bytesRead).toBe(3000);
    expect(await h.part(4)).toBe(await sliceMD5(4));
    expect(await h.wholeFile()).toBe(await md5Base64(file));
    expect(h.bytesRead).toBe(file.size);
  });

  it('a part asked for again (a retry) is answered from memory; out of order stays right', async () => {
    const h = new PartHasher(file, partSize);
    expect(await h.part(2)).toBe(await sliceMD5(2));
    expect(await h.part(2)).toBe(await sliceMD5(2));
    expect(await h.part(1)).toBe(await sliceMD5(1));
    expect(h.bytesRead).toBe(3000); // part 1 for the whole digest, part 2, part 1 again for its own
    expect(await h.wholeFile()).toBe(await md5Base64(file));
  });

  it('hashes a file with no part asked for (everything stored already)', async () => {
    const h = new PartHasher(file, partSize);
    expect(await h.wholeFile()).toBe(await md5Base64(file));
  });

  it('refuses part numbers out of range, and keeps working after', async () => {
    const h = new PartHasher(file, partSize);
    await expect(h.part(0)).rejects.toBeInstanceOf(RangeError);
    await expect(h.part(5)).rejects.toBeInstanceOf(RangeError);
    await expect(h.part(1.5)).rejects.toBeInstanceOf(RangeError);
    expect(await h.part(1)).toBe(await sliceMD5(1));
  });

  it('a read that fails rejects that request only', async () => {
    let fail = true;
    const flaky = {
      size: file.size,
      slice: (a: number, b: number) => {
        const s = file.slice(a, b);
        return { arrayBuffer: () => (fail ? Promise.reject(new Error('NotReadableError')) : s.arrayBuffer()) };
      },
    } as unknown as Blob;
    const h = new PartHasher(flaky, partSize);
    await expect(h.part(1)).rejects.toThrow('NotReadableError');
    fail = false;
    expect(await h.part(1)).toBe(await sliceMD5(1));
    expect(await h.wholeFile()).toBe(await md5Base64(file));
  });
});
