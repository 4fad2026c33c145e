// The MD5 benchmark's page and worker (bundled by upload.mjs with esbuild): the web app's own
// hash-wasm MD5 (spa/src/lib/md5.ts) against spark-md5, the JavaScript MD5 it replaced, over the
// same file read in the same 8 MiB Blob slices, in a Web Worker as the upload page hashes.

import { createMD5 } from 'hash-wasm';
import SparkMD5 from 'spark-md5';
import { md5Base64, SLICE_BYTES, toBase64 } from '../../spa/src/lib/md5';

type Result = { lib: string; source: 'file' | 'memory'; seconds: number; md5: string };

async function spark(blob: Blob): Promise<string> {
  const s = new SparkMD5.ArrayBuffer();
  for (let offset = 0; offset < blob.size; offset += SLICE_BYTES) {
    s.append(await blob.slice(offset, Math.min(blob.size, offset + SLICE_BYTES)).arrayBuffer());
  }
  return btoa(s.end(true));
}

async function timed(lib: string, source: Result['source'], fn: () => Promise<string>): Promise<Result> {
  const t0 = performance.now();
  const md5 = await fn();
  return { lib, source, seconds: (performance.now() - t0) / 1000, md5 };
}

/** The hash alone: the same slices, already in memory. */
async function wasmInMemory(bytes: Uint8Array): Promise<string> {
  const h = await createMD5();
  h.init();
  for (let o = 0; o < bytes.length; o += SLICE_BYTES) h.update(bytes.subarray(o, o + SLICE_BYTES));
  return toBase64(h.digest('binary'));
}

function sparkInMemory(bytes: Uint8Array): Promise<string> {
  const s = new SparkMD5.ArrayBuffer();
  for (let o = 0; o < bytes.length; o += SLICE_BYTES) s.append(bytes.slice(o, o + SLICE_BYTES).buffer);
  return Promise.resolve(btoa(s.end(true)));
}

const inWorker = typeof document === 'undefined';

if (inWorker) {
  // Alternates the two, so that both see the same machine state; the first round warms the
  // page cache and the WebAssembly compile.
  self.onmessage = async (e: MessageEvent<{ file: File; rounds: number }>) => {
    const { file, rounds } = e.data;
    const results: Result[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ['spark-md5', 'hash-wasm'] : ['hash-wasm', 'spark-md5'];
      for (const lib of order) results.push(await timed(lib, 'file', () => (lib === 'hash-wasm' ? md5Base64(file) : spark(file))));
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ['spark-md5', 'hash-wasm'] : ['hash-wasm', 'spark-md5'];
      for (const lib of order) results.push(await timed(lib, 'memory', () => (lib === 'hash-wasm' ? wasmInMemory(bytes) : sparkInMemory(bytes))));
    }
    postMessage(results);
  };
} else {
  (window as unknown as { runBench: (rounds: number) => Promise<Result[]> }).runBench = (rounds) =>
    new Promise((resolve, reject) => {
      const input = document.querySelector('input') as HTMLInputElement;
      const worker = new Worker(new URL(import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<Result[]>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ file: input.files![0], rounds });
    });
}
