// WCAG contrast for the link colour. The server guarantees the cover-derived accent only some
// contrast against the background; link text needs 4.5:1, so a weaker accent is moved toward
// the foreground colour until it has that against every background links sit on.

const HEX = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i;

function rgb(hex: string): [number, number, number] {
  const m = HEX.exec(hex);
  if (!m) throw new Error('not #rrggbb: ' + hex);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG 2 contrast ratio of two #rrggbb colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** What CSS color-mix(in srgb, a p*100%, b) gives. */
export function mixHex(a: string, b: string, p: number): string {
  const x = rgb(a);
  const y = rgb(b);
  return '#' + x.map((v, i) => Math.round(v * p + y[i] * (1 - p)).toString(16).padStart(2, '0')).join('');
}

export const MIN_TEXT_CONTRAST = 4.5;

/**
 * A link colour with at least 4.5:1 against the page background and the tinted panels derived
 * from it (--surface, --tint in app.css): the accent when it has that, else the accent moved
 * toward the foreground colour step by step, else the foreground colour.
 */
export function linkColour(accent: string, bg: string, fg: string): string {
  const backs = [bg, mixHex(fg, bg, 0.04), mixHex(accent, bg, 0.1)];
  const ok = (c: string) => backs.every((b) => contrast(c, b) >= MIN_TEXT_CONTRAST);
  for (let i = 0; i <= 20; i++) {
    const c = mixHex(fg, accent, i / 20);
    if (ok(c)) return c;
  }
  return fg;
}
