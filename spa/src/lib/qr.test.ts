import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { QUIET, qrCode, qrPath } from './qr';

/** The dark modules a path draws, back as a matrix (the inverse of qrPath). */
function raster(path: string, size: number): boolean[][] {
  const m = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [, x, y, run] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(run); i++) {
      expect(m[Number(y)][Number(x) + i], 'a module drawn twice').toBe(false);
      m[Number(y)][Number(x) + i] = true;
    }
  }
  return m;
}

describe('qrPath', () => {
  it('draws exactly the dark modules, one rectangle per run, inside the quiet zone', () => {
    const modules = [
      [true, true, false],
      [false, true, true],
      [true, false, true],
    ];
    const d = qrPath(modules);
    expect(d.size).toBe(3 + 2 * QUIET);
    expect(d.path).toBe('M2 2h2v1h-2zM3 3h2v1h-2zM2 4h1v1h-1zM4 4h1v1h-1z');
  });

  it('an empty row draws nothing', () => {
    expect(qrPath([[false, false]]).path).toBe('');
  });
});

describe('qrCode', () => {
  it('the drawing of a link is the encoder’s matrix, module for module', async () => {
    const url = 'https://soundtime.example/t/Ab3dE5fG7h';
    const d = await qrCode(url);
    const want = encode(url, { ecc: 'M', border: 0 }).data;
    expect(d.size).toBe(want.length + 2 * QUIET);
    const got = raster(d.path, d.size);
    for (let y = 0; y < want.length; y++) {
      for (let x = 0; x < want.length; x++) expect(got[y + QUIET][x + QUIET], `module ${x},${y}`).toBe(want[y][x]);
    }
    // The quiet zone stays light.
    expect(got[0].some(Boolean) || got[d.size - 1].some(Boolean)).toBe(false);
  });

  it('a longer link makes a bigger code', async () => {
    const short = await qrCode('https://x/t/a');
    const long = await qrCode('https://x/t/' + 'a'.repeat(200));
    expect(long.size).toBeGreaterThan(short.size);
  });
});
