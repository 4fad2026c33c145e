// MD5 of files and of their parts, read in slices so that memory stays flat, with hash-wasm's
// WebAssembly MD5 (several times faster than JavaScript MD5; the pages' CSP allows it with
// 'wasm-unsafe-eval'). The worker (md5.worker.ts) runs this off the main thread; tests call it
// directly.

import { createMD5, type IHasher } from 'hash-wasm';

export const SLICE_BYTES = 8 * 1024 * 1024;

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

/** Base64 of raw bytes (a digest), the form Content-MD5 takes. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Base64 of the raw 16-byte digest of the whole blob, the form Content-MD5 takes. */
export async function md5Base64(blob: Blob, opts: HashOptions = {}): Promise<string> {
  const sliceBytes = opts.sliceBytes ?? SLICE_BYTES;
  const md5 = await createMD5();
  md5.init();
  const total = blob.size;
  for (let offset = 0; offset < total; offset += sliceBytes) {
    if (opts.isCancelled?.()) throw new HashCancelled();
    const buf = await blob.slice(offset, Math.min(total, offset + sliceBytes)).arrayBuffer();
    md5.update(new Uint8Array(buf));
    opts.onProgress?.(Math.min(total, offset + sliceBytes), total);
  }
  return toBase64(md5.digest('binary'));
}

/** Byte range [start, end) of part `n` (1-based) of a file cut into parts of partSize. */
export function partRange(n: number, partSize: number, size: number): [number, number] {
  const start = (n - 1) * partSize;
  return [start, Math.min(size, start + partSize)];
}

/** How many parts of partSize a file of size bytes makes (every part but the last is full). */
export const partCount = (size: number, partSize: number) => Math.max(1, Math.ceil(size / partSize));

/**
 * The MD5 of each part of a multipart upload, and of the whole file, each part read once.
 * Requests are served one at a time in the order they arrive (the uploader asks for parts in
 * ascending order, just before sending each): a part that is the next one in the file also
 * feeds the whole-file digest, from the same bytes. Parts the whole-file digest has not seen
 * when a later one is asked for (those storage already holds, on a resume) are read for it
 * first, so it always advances in order and never holds more than one part in memory.
 */
export class PartHasher {
  private queue: Promise<unknown> = Promise.resolve();
  private whole: IHasher | null = null;
  /** The next part the whole-file digest needs (1-based). */
  private next = 1;
  private readonly count: number;
  private readonly cache = new Map<number, string>();
  private partMD5: IHasher | null = null;
  /** Bytes read from the file so far: each part once (a part asked for again is answered from memory). */
  bytesRead = 0;

  constructor(
    private readonly file: Blob,
    private readonly partSize: number,
  ) {
    this.count = partCount(file.size, partSize);
  }

  /** Base64 MD5 of part n (1-based). */
  part(n: number): Promise<string> {
    if (!Number.isInteger(n) || n < 1 || n > this.count) return Promise.reject(new RangeError(`no part ${n} of ${this.count}`));
    return this.serial(() => this.hashPart(n));
  }

  /** Base64 MD5 of the whole file: reads whatever parts it has not seen yet. */
  wholeFile(): Promise<string> {
    return this.serial(async () => {
      const whole = await this.wholeHasher();
      while (this.next <= this.count) whole.update(await this.read(this.next++));
      return toBase64(whole.digest('binary'));
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async wholeHasher(): Promise<IHasher> {
    if (!this.whole) {
      this.whole = await createMD5();
      this.whole.init();
    }
    return this.whole;
  }

  private async read(n: number): Promise<Uint8Array> {
    const [start, end] = partRange(n, this.partSize, this.file.size);
    const buf = new Uint8Array(await this.file.slice(start, end).arrayBuffer());
    this.bytesRead += buf.length;
    return buf;
  }

  private async hashPart(n: number): Promise<string> {
    const known = this.cache.get(n);
    if (known) return known;
    const whole = await this.wholeHasher();
    // Catch the whole-file digest up to this part (parts already stored, when resuming).
    while (this.next < n && this.next <= this.count) whole.update(await this.read(this.next++));
    const bytes = await this.read(n);
    if (this.next === n) {
      whole.update(bytes);
      this.next++;
    }
    this.partMD5 ??= await createMD5();
    this.partMD5.init();
    this.partMD5.update(bytes);
    const got = toBase64(this.partMD5.digest('binary'));
    this.cache.set(n, got);
    return got;
  }
}
