import { describe, expect, it } from 'vitest';
import { contrast, linkColour, MIN_TEXT_CONTRAST, mixHex } from './contrast';

describe('contrast', () => {
  it('computes WCAG ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it('mixes like color-mix in srgb', () => {
    expect(mixHex('#ffffff', '#000000', 0.5)).toBe('#808080');
    expect(mixHex('#1b1a19', '#fbfaf8', 0)).toBe('#fbfaf8');
  });

  it('keeps the default accents, which have 4.5:1 already (light and dark)', () => {
    expect(linkColour('#b93c0d', '#fbfaf8', '#1b1a19')).toBe('#b93c0d');
    expect(linkColour('#ff9a62', '#141312', '#efedea')).toBe('#ff9a62');
    expect(contrast('#b93c0d', '#fbfaf8')).toBeGreaterThan(5.4);
    expect(contrast('#ff9a62', '#141312')).toBeGreaterThan(8.8);
  });

  it('moves a 3:1 accent toward the foreground until links reach 4.5:1', () => {
    for (const [accent, bg, fg] of [
      ['#e0702a', '#ffffff', '#111111'], // about 3:1 on white
      ['#7a4bd0', '#101820', '#f4f4f4'], // dim on a dark background
      ['#ffffff', '#ffffff', '#000000'], // no contrast at all
    ]) {
      const c = linkColour(accent, bg, fg);
      expect(c).not.toBe(accent);
      expect(contrast(c, bg)).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(contrast(c, mixHex(fg, bg, 0.04))).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
    }
  });
});
