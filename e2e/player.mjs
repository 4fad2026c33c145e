// Helpers of the browser suite for the player's extras: what the page gave the system's media
// controls, the clipboard, and a QR code read back from pixels.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// jsQR (pinned in package.json): a QR reader independent of the encoder the page uses.
const jsQR = require('jsqr');

/** navigator.mediaSession as plain data: metadata (title, artist, album, artwork) and playbackState. */
export const mediaSession = (frame) => frame.evaluate(() => {
  const s = navigator.mediaSession;
  const m = s.metadata;
  return {
    playbackState: s.playbackState,
    metadata: m && { title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map((a) => ({ src: a.src, sizes: a.sizes, type: a.type })) },
  };
});

/** The clipboard's text, read in the page (the context must have clipboard-read). */
export const clipboard = (frame) => frame.evaluate(() => navigator.clipboard.readText());

/**
 * Decodes a QR code from a PNG (a screenshot of it): a blank page of the same browser context
 * turns the PNG into pixels, and jsQR reads them. Returns the text, or null when none is found.
 */
export async function decodeQR(context, png) {
  const page = await context.newPage();
  try {
    const { width, height, data } = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height);
      return { width: px.width, height: px.height, data: Array.from(px.data) };
    }, png.toString('base64'));
    return jsQR(Uint8ClampedArray.from(data), width, height)?.data ?? null;
  } finally {
    await page.close();
  }
}
