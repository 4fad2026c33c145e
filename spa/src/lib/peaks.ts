// Conversion of audiowaveform's JSON (version 2) into peaks wavesurfer can draw without
// decoding any audio. audiowaveform stores, for each pixel and channel, a min and a max
// sample: data = [c0min, c0max, c1min, c1max, …] pixel after pixel.

export interface AudiowaveformJSON {
  version?: number;
  channels?: number;
  sample_rate?: number;
  samples_per_pixel?: number;
  bits?: number;
  length?: number;
  data?: unknown;
}

/**
 * Returns one channel of interleaved min/max values in -1..1 (channels merged by taking the
 * widest range), reduced to at most maxPoints values. Garbage yields an empty array, never
 * an exception: the caller then draws a flat line.
 */
export function peaksFromAudiowaveform(json: unknown, maxPoints = 4000): Float32Array {
  if (!json || typeof json !== 'object') return new Float32Array(0);
  const w = json as AudiowaveformJSON;
  if (!Array.isArray(w.data)) return new Float32Array(0);
  const data = w.data as unknown[];
  const channels = Number.isInteger(w.channels) && (w.channels as number) > 0 ? (w.channels as number) : 1;
  const scale = w.bits === 16 ? 32768 : 128;
  const stride = 2 * channels;
  let pixels = Math.floor(data.length / stride);
  if (Number.isInteger(w.length) && (w.length as number) >= 0) pixels = Math.min(pixels, w.length as number);
  if (pixels === 0) return new Float32Array(0);

  const norm = (v: unknown): number => {
    const n = typeof v === 'number' ? v / scale : NaN;
    if (!Number.isFinite(n)) return 0;
    return n < -1 ? -1 : n > 1 ? 1 : n;
  };

  // Merge pixels into buckets so that the output has at most maxPoints values.
  const maxPixels = Math.max(1, Math.floor(maxPoints / 2));
  const buckets = Math.min(pixels, maxPixels);
  const out = new Float32Array(buckets * 2);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * pixels) / buckets);
    const to = Math.max(from + 1, Math.floor(((b + 1) * pixels) / buckets));
    let lo = 0;
    let hi = 0;
    for (let p = from; p < to; p++) {
      for (let c = 0; c < channels; c++) {
        const i = p * stride + c * 2;
        const mn = norm(data[i]);
        const mx = norm(data[i + 1]);
        if (mn < lo) lo = mn;
        if (mx > hi) hi = mx;
      }
    }
    out[b * 2] = lo;
    out[b * 2 + 1] = hi;
  }
  return out;
}

/** A flat, barely visible line used while no waveform is available. */
export function flatPeaks(): Float32Array {
  return new Float32Array([-0.01, 0.01, -0.01, 0.01]);
}
