// Hashes off the main thread, so a large file never freezes the page. Two kinds of work:
// - {file}: the MD5 of a whole file (a single PUT). Out: {progress: 0..1} messages, then {md5} or {error}.
// - {file, partSize} once, then {id, part: n} or {id, whole: true}: the MD5 of each part of a
//   multipart upload just before it is sent, and of the whole file (PartHasher). Out: {id, md5}
//   or {id, error}.

import { md5Base64, PartHasher } from './md5';

export type HashRequest = { file: Blob; partSize?: undefined } | { file: Blob; partSize: number } | { id: number; part: number } | { id: number; whole: true };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<HashRequest>) => void) | null;
  postMessage: (msg: unknown) => void;
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function hash(file: Blob): Promise<void> {
  try {
    const md5 = await md5Base64(file, {
      onProgress: (done, total) => ctx.postMessage({ progress: total ? done / total : 1 }),
    });
    ctx.postMessage({ md5 });
  } catch (err) {
    ctx.postMessage({ error: message(err) });
  }
}

let parts: PartHasher | null = null;

// Every request is answered by a message; nothing here rejects unhandled.
ctx.onmessage = (e) => {
  const req = e.data;
  if ('file' in req) {
    if (req.partSize === undefined) void hash(req.file);
    else parts = new PartHasher(req.file, req.partSize);
    return;
  }
  if (!parts) {
    ctx.postMessage({ id: req.id, error: 'no file to hash' });
    return;
  }
  const work = 'part' in req ? parts.part(req.part) : parts.wholeFile();
  work.then(
    (md5) => ctx.postMessage({ id: req.id, md5 }),
    (err: unknown) => ctx.postMessage({ id: req.id, error: message(err) }),
  );
};
