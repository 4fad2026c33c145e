// The browser side of the upload queue: a Web Worker for hashing, XMLHttpRequest for the PUT
// (fetch cannot report upload progress), and the API for the rest.

import { createTrack, deleteTrack, getTrack, type Config } from './api';
import type { Task, Transport, UploadTarget } from './queue';
import { checkFile } from './sniff';

function hashInWorker(file: File, onProgress: (f: number) => void): Task<string> {
  const worker = new Worker(new URL('./md5.worker.ts', import.meta.url), { type: 'module' });
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

/** The message of an S3 XML error body, if there is one. */
function s3Message(xml: string): string | null {
  const m = /<Message>([^<]{1,300})<\/Message>/.exec(xml);
  return m ? m[1] : null;
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
        reject(new Error(s3Message(xhr.responseText) ?? `storage answered ${xhr.status}`));
      }
    };
    xhr.onerror = () => reject(new Error('network error'));
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

export function browserTransport(config: () => Config): Transport {
  return {
    check: (file) => checkFile(file, config()),
    hash: hashInWorker,
    create: createTrack,
    put: putWithProgress,
    remove: deleteTrack,
    get: getTrack,
    wait,
    now: () => performance.now(),
  };
}
