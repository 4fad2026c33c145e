// MD5 of a file read in slices, so that memory stays flat and progress can be reported.
// The worker (md5.worker.ts) runs this off the main thread; tests call it directly.

import SparkMD5 from 'spark-md5';

export const SLICE_BYTES = 4 * 1024 * 1024;

export interface HashOptions {
  sliceBytes?: number;
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

export class HashCancelled extends Error {
  constructor() {
    super('hashing cancelled');
  }
}

/** Base64 of the raw 16-byte digest, the form Content-MD5 takes. */
export async function md5Base64(blob: Blob, opts: HashOptions = {}): Promise<string> {
  const sliceBytes = opts.sliceBytes ?? SLICE_BYTES;
  const spark = new SparkMD5.ArrayBuffer();
  const total = blob.size;
  for (let offset = 0; offset < total; offset += sliceBytes) {
    if (opts.isCancelled?.()) throw new HashCancelled();
    const buf = await blob.slice(offset, Math.min(total, offset + sliceBytes)).arrayBuffer();
    spark.append(buf);
    opts.onProgress?.(Math.min(total, offset + sliceBytes), total);
  }
  return btoa(spark.end(true));
}
