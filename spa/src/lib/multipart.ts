// A multipart upload of one file, driven by Uppy (@uppy/core with @uppy/aws-s3, headless): Uppy
// cuts the file into the server's parts (Blob.slice: nothing is read into memory ahead), keeps up
// to `limit` of them in flight, retries a failed part with back-off, pauses and resumes, and after
// a resume sends only the parts storage lacks. Its hooks map one to one onto our API:
//
//   createMultipartUpload → the track already created by POST /api/tracks (its id is the key)
//   signPart              → the part's MD5 (hashed in the worker just before it is sent), then
//                           POST /api/tracks/{id}/parts, whose URL binds that MD5 and length
//   listParts             → GET /api/tracks/{id}/parts
//   completeMultipartUpload → POST /api/tracks/{id}/complete, with the whole file's MD5
//   abortMultipartUpload  → nothing: a failed upload keeps its parts so it can be resumed; Cancel
//                           deletes the track itself (which aborts the upload in storage)
//
// This module is loaded with a dynamic import() by the upload page only, for files over the
// multipart threshold.

import Uppy, { type Body, type Meta } from '@uppy/core';
import AwsS3, { type AwsS3Options } from '@uppy/aws-s3';
import { ApiError, type Created, type MultipartPlan, type PartsListing, type SignedPart, type Track } from './api';
import { apiSentence, storageSentence } from './sentences';

export interface PartsApi {
  sign(id: string, token: string, part: { number: number; md5: string; size: number }, signal?: AbortSignal): Promise<SignedPart>;
  list(id: string, token: string, signal?: AbortSignal): Promise<PartsListing>;
  complete(id: string, token: string, parts: Array<{ number: number; etag: string }>, md5: string, signal?: AbortSignal): Promise<Track>;
  get(id: string): Promise<Track>;
}

/** MD5s of the file's parts and of the whole file (PartHasher, in a worker in the browser). */
export interface Hashes {
  part(n: number): Promise<string>;
  wholeFile(): Promise<string>;
}

type Options = AwsS3Options<Meta, Body>;
/** Sends one part's bytes to its signed URL; Uppy's XMLHttpRequest sender by default. */
export type SendPart = NonNullable<Extract<Options, { signPart: unknown; uploadPartBytes?: unknown }>['uploadPartBytes']>;

export interface MultipartOptions {
  api: PartsApi;
  hashes: Hashes;
  /** Parts being signed or sent at once. */
  limit?: number;
  /** Waits before each retry of a failed part (ms); the part fails once they run out. */
  retryDelays?: number[];
  sendPart?: SendPart;
}

export interface MultipartTask {
  /** Resolves with the track once the upload is completed; rejects when it fails or is cancelled. */
  promise: Promise<Track>;
  pause(): void;
  resume(): void;
  /** Stops sending; the caller deletes the track. */
  cancel(): void;
}

export const PART_LIMIT = 6;
/** About two minutes of retries for one part: a lost connection often comes back within that. */
export const RETRY_DELAYS = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

const silent = { debug: () => {}, warn: () => {}, error: () => {} };

/** What went wrong, for people: a sentence for the server's code or storage's, or the connection. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return apiSentence(err);
  const source = (err as { source?: { status?: number; responseText?: string } } | null)?.source;
  if (source && typeof source.status === 'number') return storageSentence(source.status, source.responseText ?? '');
  return err instanceof Error && err.message ? err.message : 'unknown error';
}

/**
 * Uploads the file's parts to the created track and completes it. When resuming, `held` is what
 * storage held a moment ago (GET …/parts): only the other parts are sent.
 */
export function uploadParts(
  file: File,
  created: Created & { upload: MultipartPlan },
  held: PartsListing['uploaded'] | null,
  onProgress: (loaded: number, total: number) => void,
  opts: MultipartOptions,
): MultipartTask {
  const { id, deleteToken: token } = created;
  const { partSize } = created.upload;
  const { api, hashes } = opts;
  let track: Track | null = null;
  let known = held;

  // Uppy's default logger writes failures to the console; the queue reports them instead.
  const uppy = new Uppy({ autoProceed: false, allowMultipleUploadBatches: false, logger: silent });
  uppy.use(AwsS3, {
    shouldUseMultipart: true,
    limit: opts.limit ?? PART_LIMIT,
    retryDelays: opts.retryDelays ?? RETRY_DELAYS,
    getChunkSize: () => partSize,
    createMultipartUpload: () => ({ uploadId: id, key: id }),
    signPart: async (_file, { partNumber, body, signal }) => {
      const md5 = await hashes.part(partNumber);
      try {
        const p = await api.sign(id, token, { number: partNumber, md5, size: body.size }, signal);
        return { method: 'PUT', url: p.url, headers: p.headers };
      } catch (err) {
        // The upload is gone (deleted, expired) or over (completed): retrying cannot help.
        if (err instanceof ApiError && (err.status === 404 || err.status === 409)) queueMicrotask(() => stop(err));
        throw err;
      }
    },
    // The listing the caller just had serves the first time; after a pause storage is asked again.
    listParts: async (_file, { signal }) => {
      const uploaded = known ?? (await api.list(id, token, signal)).uploaded;
      known = null;
      return uploaded.map((u) => ({ PartNumber: u.number, ETag: u.etag, Size: u.size }));
    },
    completeMultipartUpload: async (_file, { parts, signal }) => {
      const md5 = await hashes.wholeFile();
      const list = parts.map((p) => ({ number: p.PartNumber ?? 0, etag: p.ETag ?? '' })).sort((a, b) => a.number - b.number);
      try {
        track = await api.complete(id, token, list, md5, signal);
      } catch (err) {
        // Completed already (an answer lost on the way, then a retry): the track moved on.
        if (!(err instanceof ApiError && err.status === 409)) throw err;
        const t = await api.get(id);
        if (t.status === 'pending') throw err;
        track = t;
      }
      return {};
    },
    abortMultipartUpload: () => {},
    ...(opts.sendPart ? { uploadPartBytes: opts.sendPart } : {}),
  });

  const fileId = uppy.addFile({ name: file.name, type: file.type, data: file, source: 'soundtime' });
  // Uppy resumes a file whose state names its upload: it lists the parts before sending any.
  if (held) uppy.setFileState(fileId, { s3Multipart: { uploadId: id, key: id } } as never);

  let cancelled = false;
  let fail: (err: unknown) => void = () => {};
  /** Stops for good: Uppy forgets the file, the promise rejects with err. */
  const stop = (err: Error) => {
    if (cancelled) return;
    cancelled = true;
    uppy.removeFile(fileId);
    uppy.destroy();
    fail(err);
  };
  const promise = new Promise<Track>((resolve, reject) => {
    fail = reject;
    uppy.on('upload-progress', (_f, p) => {
      if (!cancelled && p.bytesTotal) onProgress(p.bytesUploaded, p.bytesTotal);
    });
    uppy.on('upload-success', () => {
      uppy.destroy();
      if (track) resolve(track);
      else reject(new Error('the upload completed without an answer from the server'));
    });
    uppy.on('upload-error', (_f, err) => {
      uppy.destroy();
      reject(cancelled ? new Cancelled() : new Error(describe(err)));
    });
    uppy.upload().catch(reject);
  });
  const paused = () => uppy.getFile(fileId)?.isPaused === true;
  return {
    promise,
    pause: () => {
      if (!cancelled && !paused()) uppy.pauseResume(fileId);
    },
    resume: () => {
      if (!cancelled && paused()) uppy.pauseResume(fileId);
    },
    cancel: () => stop(new Cancelled()),
  };
}
