// The browser side of the upload queue: a Web Worker for hashing, XMLHttpRequest for the PUT
// (fetch cannot report upload progress), IndexedDB for resuming, Uppy (loaded when a file first
// needs it) for uploads in parts, and the API for the rest.

import { createTrack, deleteTrack, getTrack, type Config } from './api';
import { completeUpload, listParts, signParts } from './uploadapi';
import { storageSentence } from './sentences';
import type { Hashes } from './multipart';
import type { Task, Transport, UploadTarget } from './queue';
import { indexedDBStore, ResumeBook } from './resume';
import { checkFile } from './sniff';

/** What the server says when its config does not (API.md's MULTIPART_THRESHOLD default). */
export const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024;

const hashWorker = () => new Worker(new URL('./md5.worker.ts', import.meta.url), { type: 'module' });

function hashInWorker(file: Blob, onProgress: (f: number) => void): Task<string> {
  const worker = hashWorker();
  let settle: { reject(e: unknown): void } | null = null;
  const promise = new Promise<string>((resolve, reject) => {
    settle = { reject };
    worker.onmessage = (e: MessageEvent<{ progress?: number; md5?: string; error?: string }>) => {
      if (typeof e.data.progress === 'number') onProgress(e.data.progress);
      if (e.data.md5) {
        worker.terminate();
        resolve(e.data.md5);
      }
      if (e.data.error) {
        worker.terminate();
        reject(new Error(e.data.error));
      }
    };
    worker.onerror = () => {
      worker.terminate();
      reject(new Error('the hashing worker failed'));
    };
    worker.postMessage({ file });
  });
  return {
    promise,
    cancel: () => {
      worker.terminate();
      settle?.reject(new Error('cancelled'));
    },
  };
}

function putWithProgress(target: UploadTarget, file: File, onProgress: (loaded: number, total: number) => void): Task<void> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<void>((resolve, reject) => {
    xhr.open('PUT', target.url);
    for (const [k, v] of Object.entries(target.headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        // S3's XML body becomes a sentence; the XML itself is never shown.
        reject(new Error(storageSentence(xhr.status, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(new Error(storageSentence(0)));
    xhr.onabort = () => reject(new Error('cancelled'));
    xhr.send(file);
  });
  return { promise, cancel: () => xhr.abort() };
}

function wait(ms: number): Task<void> {
  let id: ReturnType<typeof setTimeout>;
  const promise = new Promise<void>((resolve) => {
    id = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

/** The MD5s of a multipart upload's parts and whole file, computed in a worker of their own. */
function partHashesInWorker(file: File, partSize: number): Hashes & { close(): void } {
  const worker = hashWorker();
  const waiting = new Map<number, { resolve(md5: string): void; reject(e: Error): void }>();
  let nextId = 1;
  let broken: Error | null = null;
  const failAll = (err: Error) => {
    broken = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.onmessage = (e: MessageEvent<{ id: number; md5?: string; error?: string }>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (e.data.md5) w?.resolve(e.data.md5);
    else w?.reject(new Error(`could not read the file: ${e.data.error ?? 'unknown error'}`));
  };
  worker.onerror = () => failAll(new Error('the hashing worker failed'));
  worker.postMessage({ file, partSize });
  const ask = (req: { part: number } | { whole: true }) =>
    new Promise<string>((resolve, reject) => {
      if (broken) return reject(broken);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, ...req });
    });
  return {
    part: (n) => ask({ part: n }),
    wholeFile: () => ask({ whole: true }),
    close: () => {
      worker.terminate();
      failAll(new Error('cancelled'));
    },
  };
}

export function browserTransport(config: () => Config): Transport {
  const resumes = new ResumeBook(indexedDBStore(), (blob) => hashInWorker(blob, () => {}).promise, listParts, getTrack);
  return {
    check: (file) => checkFile(file, config()),
    hash: hashInWorker,
    create: createTrack,
    put: putWithProgress,
    remove: deleteTrack,
    get: getTrack,
    wait,
    now: () => performance.now(),
    multipartThreshold: () => config().multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD,
    resumable: (file) => resumes.find(file),
    remember: (file, created) => resumes.save(file, created),
    forget: (file) => resumes.forget(file),
    multipart: async (file, created, held, onProgress) => {
      const { uploadParts } = await import('./multipart');
      const hashes = partHashesInWorker(file, created.upload.partSize);
      const task = uploadParts(file, created, held, onProgress, {
        hashes,
        api: {
          sign: (id, token, part, signal) => signParts(id, token, [part], signal).then((p) => p[0]),
          list: listParts,
          complete: completeUpload,
          get: getTrack,
        },
      });
      const close = () => hashes.close();
      task.promise.then(close, close);
      return task;
    },
  };
}
