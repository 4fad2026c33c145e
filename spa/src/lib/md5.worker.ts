// Hashes one file per message, off the main thread, so a large file never freezes the page.
// In: {file: File}. Out: {progress: 0..1} messages, then {md5} or {error}.

import { md5Base64 } from './md5';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<{ file: Blob }>) => void) | null;
  postMessage: (msg: unknown) => void;
};

ctx.onmessage = async (e) => {
  try {
    const md5 = await md5Base64(e.data.file, {
      onProgress: (done, total) => ctx.postMessage({ progress: total ? done / total : 1 }),
    });
    ctx.postMessage({ md5 });
  } catch (err) {
    ctx.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
