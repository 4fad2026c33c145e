// A QR code of a link, for opening the track on a phone nearby: uqr encodes it (loaded only when
// asked for, so the track page's first load does not carry it), and the page draws the modules
// as one SVG path, built here as data rather than as an SVG string, so nothing is injected.

/** The quiet zone around the code, in modules (readers want some light margin). */
export const QUIET = 2;

export interface QrDrawing {
  /** Width and height in modules, the quiet zone included (the SVG's viewBox). */
  size: number;
  /** The dark modules as an SVG path: one rectangle per horizontal run. */
  path: string;
}

/** The SVG path of a module matrix (true = dark), shifted by the quiet zone. */
export function qrPath(modules: ReadonlyArray<ReadonlyArray<boolean>>): QrDrawing {
  const parts: string[] = [];
  modules.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      let run = 1;
      while (x + run < row.length && row[x + run]) run++;
      parts.push(`M${x + QUIET} ${y + QUIET}h${run}v1h-${run}z`);
      x += run;
    }
  });
  return { size: modules.length + 2 * QUIET, path: parts.join('') };
}

/** Encodes text (medium error correction) and draws it; loads the encoder on first use. */
export async function qrCode(text: string): Promise<QrDrawing> {
  const { encode } = await import('uqr');
  return qrPath(encode(text, { ecc: 'M', border: 0 }).data);
}
