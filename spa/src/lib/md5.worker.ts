// Hashes one file per message, off the main thread, so a large file never freezes the page.
// In: {file: File}. Out: {progress: 0..1} messages, then {md5} or {error}.

import { md5Base64 } from './md5';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<{ file: Blob }>) => void) | null;
  postMessage: (msg: unknown) => void;
};

async function hash(file: Blob): Promise<void> {
  try {
    const md5 = await md5Base64(file, {
      onProgress: (done, total) => ctx.postMessage({ progress: total ? done / total : 1 }),
    });
    ctx.postMessage({ md5 });
  } catch (err) {
    ctx.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}

// hash() reports its own failures as a message: the promise never rejects.
ctx.onmessage = (e) => void hash(e.data.file);
