// The upload queue: each file goes checked → hashed → created → uploaded → processed, at most
// `concurrency` files hashing or uploading at once. A file over the multipart threshold skips the
// hashing step: it is created at once and goes up in parts, each hashed just before it is sent,
// and can be paused, resumed, and picked up again after a reload from what storage holds.
// Everything that touches the browser or the network is behind Transport, so the state machine
// runs in tests with a fake.

import type { Check } from './sniff';
import type { Created, CreateRequest, MultipartPlan, PartsListing, Track } from './api';
import { ApiError } from './api';
import type { MultipartTask } from './multipart';
import { pollDelay } from './poll';
import { errorSentence } from './sentences';
import type { Resumable } from './resume';

export type UploadState =
  | 'queued' // checked and waiting for a free slot
  | 'refused' // failed the checks before upload
  | 'hashing'
  | 'uploading'
  | 'paused' // a multipart upload, stopped by its Pause button
  | 'processing'
  | 'ready'
  | 'failed' // the server could not process the audio
  | 'cancelled'
  | 'error'; // the upload itself went wrong

export interface Task<T> {
  promise: Promise<T>;
  cancel(): void;
}

export interface UploadTarget {
  url: string;
  headers: Record<string, string>;
}

export type MultipartCreated = Created & { upload: MultipartPlan };

export interface Transport {
  check(file: File): Promise<Check>;
  hash(file: File, onProgress: (fraction: number) => void): Task<string>;
  create(req: CreateRequest): Promise<Created>;
  put(target: UploadTarget, file: File, onProgress: (loaded: number, total: number) => void): Task<void>;
  remove(id: string, token: string): Promise<void>;
  get(id: string): Promise<Track>;
  wait(ms: number): Task<void>;
  now(): number;
  /** Files larger than this (bytes) go up in parts. */
  multipartThreshold(): number;
  /** The unfinished multipart upload of this file this browser remembers, if storage has it. */
  resumable(file: File): Promise<Resumable | null>;
  remember(file: File, created: MultipartCreated): Promise<void>;
  forget(file: File): Promise<void>;
  /** Starts sending the parts (when resuming, those storage did not hold) and completes the upload. */
  multipart(file: File, created: MultipartCreated, held: PartsListing['uploaded'] | null, onProgress: (loaded: number, total: number) => void): Promise<MultipartTask>;
}

export interface UploadOptions {
  downloadable: boolean;
  public: boolean;
}

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  options: UploadOptions;
  state: UploadState;
  /** 0..1 of the current phase (hashing or uploading). */
  progress: number;
  /** Bytes per second while uploading, once measurable. */
  speed?: number;
  /** Seconds left at that speed. */
  eta?: number;
  /** Going up in parts: it can be paused, and resumed after a failure. */
  multipart?: boolean;
  /** Parts storage already held when this upload was resumed. */
  resumedParts?: number;
  /** Stopped by a failure, with its parts kept: Retry carries on from them. */
  resumable?: boolean;
  /** Stopped by a failure before its bytes were stored: Retry sends the same file again. */
  retryable?: boolean;
  /** Why it was refused, failed or went wrong, for people. */
  message?: string;
  created?: Created;
  track?: Track;
}

/** Upload speed over a sliding window, so the figure neither jumps nor lags by minutes. */
export class SpeedMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 3000) {}

  add(t: number, loaded: number): number | undefined {
    this.samples.push([t, loaded]);
    while (this.samples.length > 2 && t - this.samples[1][0] >= this.windowMs) this.samples.shift();
    const [t0, l0] = this.samples[0];
    const dt = t - t0;
    if (dt < 250) return undefined;
    return ((loaded - l0) * 1000) / dt;
  }
}

/** Time left of an upload: "40 s left", "12 min left", "1 h 05 min left"; "" when unknown. */
export function formatTimeLeft(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s left`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min left`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min left`;
}

export const MAX_POLLS = 400;

export class UploadQueue {
  private list: UploadItem[] = [];
  private waiting: Array<{ item: UploadItem; file: File; type: string }> = [];
  private active = 0;
  private nextKey = 1;
  private listeners = new Set<(items: UploadItem[]) => void>();
  private cancels = new Map<number, () => void>();
  private cancelled = new Set<number>();
  private files = new Map<number, { file: File; type: string }>();
  private tasks = new Map<number, MultipartTask>();
  /** The MD5 of each file hashed, so that a retry does not hash it again. */
  private md5s = new Map<number, string>();

  constructor(
    private readonly t: Transport,
    private readonly concurrency = 2,
    /** Called once the bytes are stored, with what is needed to delete the track later. */
    private readonly onUploaded: (item: UploadItem, created: Created) => void = () => {},
  ) {}

  items(): UploadItem[] {
    return this.list;
  }

  subscribe(fn: (items: UploadItem[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Adds files; returns when every one has been checked (not uploaded). */
  async add(files: File[], options: UploadOptions): Promise<void> {
    const added = files.map((file) => {
      const item: UploadItem = { key: this.nextKey++, name: file.name, size: file.size, options: { ...options }, state: 'queued', progress: 0 };
      this.list = [...this.list, item];
      return { item, file };
    });
    this.emit();
    // Checks run in order so the queue keeps the order the files were given in.
    for (const { item, file } of added) {
      let check: Check;
      try {
        check = await this.t.check(file);
      } catch {
        check = { ok: false, reason: 'the file could not be read' };
      }
      if (this.cancelled.has(item.key)) continue;
      if (!check.ok) {
        this.update(item.key, { state: 'refused', message: check.reason });
        continue;
      }
      this.files.set(item.key, { file, type: check.type });
      this.waiting.push({ item, file, type: check.type });
      this.pump();
    }
  }

  cancel(key: number): void {
    const item = this.find(key);
    if (!item || !['queued', 'hashing', 'uploading', 'paused'].includes(item.state)) return;
    this.cancelled.add(key);
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((w) => w.item.key !== key);
    if (this.waiting.length !== before || item.state === 'queued') {
      this.update(key, { state: 'cancelled', message: undefined });
      return;
    }
    this.cancels.get(key)?.();
  }

  /** Pauses a multipart upload: the parts in flight stop, storage keeps those it has. */
  pause(key: number): void {
    const task = this.tasks.get(key);
    if (!task || this.find(key)?.state !== 'uploading') return;
    task.pause();
    this.update(key, { state: 'paused', speed: undefined, eta: undefined });
  }

  resume(key: number): void {
    const task = this.tasks.get(key);
    if (!task || this.find(key)?.state !== 'paused') return;
    task.resume();
    this.update(key, { state: 'uploading' });
  }

  /**
   * Starts a failed upload again with the same file: one sent in parts carries on from what
   * storage holds (found again through the resume record), one sent in one PUT starts over with
   * the MD5 it already has.
   */
  retry(key: number): void {
    const item = this.find(key);
    const f = this.files.get(key);
    if (!item || !f || item.state !== 'error' || !(item.resumable || item.retryable)) return;
    this.cancelled.delete(key);
    this.update(key, { state: 'queued', message: undefined, resumable: false, retryable: false, progress: 0, speed: undefined, eta: undefined });
    this.waiting.push({ item, file: f.file, type: f.type });
    this.pump();
  }

  private find(key: number) {
    return this.list.find((i) => i.key === key);
  }

  private update(key: number, patch: Partial<UploadItem>) {
    this.list = this.list.map((i) => (i.key === key ? { ...i, ...patch } : i));
    this.emit();
  }

  private emit() {
    for (const fn of this.listeners) fn(this.list);
  }

  private pump() {
    while (this.active < this.concurrency && this.waiting.length) {
      const next = this.waiting.shift()!;
      this.active++;
      this.run(next.item.key, next.file, next.type)
        .catch(() => {})
        .finally(() => {
          this.active--;
          this.cancels.delete(next.item.key);
          this.pump();
        });
    }
  }

  /** Uploads one file, in one PUT or in parts; the slot is held until this returns. */
  private run(key: number, file: File, type: string): Promise<void> {
    return file.size > this.t.multipartThreshold() ? this.runMultipart(key, file, type) : this.runSingle(key, file, type);
  }

  /** Progress, speed and time left of an upload. */
  private progressed(key: number, meter: SpeedMeter, loaded: number, total: number) {
    if (this.find(key)?.state !== 'uploading') return;
    const speed = meter.add(this.t.now(), loaded);
    const patch: Partial<UploadItem> = { progress: total ? loaded / total : 0 };
    if (speed !== undefined) {
      patch.speed = speed;
      patch.eta = speed > 0 ? Math.max(0, total - loaded) / speed : undefined;
    }
    this.update(key, patch);
  }

  /** Hash, create and upload one file in a single PUT. */
  private async runSingle(key: number, file: File, type: string): Promise<void> {
    const item = this.find(key)!;
    const isCancelled = () => this.cancelled.has(key);

    // 1. Hash (once: a retry reuses the MD5).
    let md5 = this.md5s.get(key);
    if (md5 === undefined) {
      this.update(key, { state: 'hashing', progress: 0 });
      const hashing = this.t.hash(file, (f) => this.update(key, { progress: f }));
      this.cancels.set(key, () => hashing.cancel());
      try {
        md5 = await hashing.promise;
      } catch (err) {
        if (isCancelled()) return this.update(key, { state: 'cancelled' });
        return this.update(key, { state: 'error', message: `Could not read the file: ${errorText(err)}`, retryable: true });
      }
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      this.md5s.set(key, md5);
    }

    // 2. Create the track. A cancel now is honoured once the server has answered.
    this.update(key, { state: 'uploading', progress: 0, speed: undefined, eta: undefined });
    this.cancels.set(key, () => {});
    let created: Created;
    try {
      created = await this.t.create({ filename: file.name, type, size: file.size, md5, ...item.options });
    } catch (err) {
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      return this.update(key, { state: 'error', message: errorText(err), retryable: retryableApiError(err) });
    }
    this.update(key, { created });
    if (isCancelled()) {
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      return this.update(key, { state: 'cancelled' });
    }
    // A server whose threshold is lower wants this file in parts after all.
    if (created.upload.method === 'MULTIPART') return this.runMultipart(key, file, type, created as MultipartCreated);

    // 3. Upload the bytes.
    const meter = new SpeedMeter();
    const putting = this.t.put({ url: created.upload.url, headers: created.upload.headers }, file, (loaded, total) => this.progressed(key, meter, loaded, total));
    this.cancels.set(key, () => putting.cancel());
    try {
      await putting.promise;
    } catch (err) {
      // Nothing is left behind: the pending track is deleted whether cancelled or failed.
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      return this.update(key, { state: 'error', message: `Upload failed: ${errorText(err)}`, retryable: true, speed: undefined, eta: undefined });
    }
    if (isCancelled()) {
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      return this.update(key, { state: 'cancelled' });
    }
    this.update(key, { state: 'processing', progress: 1 });
    this.onUploaded(this.find(key)!, created);

    // 4. Wait for processing without holding the slot.
    void this.poll(key, created.id);
  }

  /** Create (or find again) and upload one file in parts; `given` is a track created already. */
  private async runMultipart(key: number, file: File, type: string, given?: MultipartCreated): Promise<void> {
    const item = this.find(key)!;
    const isCancelled = () => this.cancelled.has(key);
    this.update(key, { state: 'uploading', progress: 0, speed: undefined, eta: undefined, multipart: true, message: undefined });
    this.cancels.set(key, () => {});

    // 1. An upload of this very file started here before, and still pending: carry it on.
    let found: Resumable | null = null;
    try {
      if (!given) found = await this.t.resumable(file);
    } catch (err) {
      return this.update(key, { state: 'error', message: `Could not check for an earlier upload of this file: ${errorText(err)}` });
    }
    if (isCancelled()) return this.update(key, { state: 'cancelled' });
    if (found?.kind === 'completed') {
      this.update(key, { created: found.created, state: 'processing', progress: 1 });
      this.onUploaded(this.find(key)!, found.created);
      void this.poll(key, found.created.id);
      return;
    }

    // 2. Otherwise create the track: its MD5 comes with the completion.
    let created: MultipartCreated;
    if (found) {
      created = found.created;
      const stored = found.uploaded.reduce((n, p) => n + p.size, 0);
      this.update(key, { created, resumedParts: found.uploaded.length, progress: file.size ? stored / file.size : 0 });
    } else if (given) {
      created = given;
      await this.t.remember(file, created).catch(() => {});
    } else {
      let c: Created;
      try {
        c = await this.t.create({ filename: file.name, type, size: file.size, ...item.options });
      } catch (err) {
        if (isCancelled()) return this.update(key, { state: 'cancelled' });
        // A server whose threshold is higher wants this file in one PUT, with its MD5 first.
        if (err instanceof ApiError && (err.code === 'invalid_md5' || (err.code === 'invalid_request' && /\bmd5\b/.test(err.message)))) {
          return this.runSingle(key, file, type);
        }
        return this.update(key, { state: 'error', message: errorText(err), retryable: retryableApiError(err) });
      }
      this.update(key, { created: c });
      if (isCancelled() || c.upload.method !== 'MULTIPART') {
        await this.t.remove(c.id, c.deleteToken).catch(() => {});
        if (isCancelled()) return this.update(key, { state: 'cancelled' });
        return this.runSingle(key, file, type);
      }
      created = c as MultipartCreated;
      // Resuming after a reload is a convenience: an upload goes on without it.
      await this.t.remember(file, created).catch(() => {});
    }

    // 3. The parts.
    const meter = new SpeedMeter();
    const dropped = async () => {
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      await this.t.forget(file).catch(() => {});
      this.update(key, { state: 'cancelled' });
    };
    let task: MultipartTask;
    try {
      task = await this.t.multipart(file, created, found ? found.uploaded : null, (loaded, total) => this.progressed(key, meter, loaded, total));
    } catch (err) {
      if (isCancelled()) return dropped();
      return this.update(key, { state: 'error', message: `Upload failed: ${errorText(err)}`, resumable: true });
    }
    this.tasks.set(key, task);
    this.cancels.set(key, () => task.cancel());
    if (isCancelled()) task.cancel();
    try {
      await task.promise;
    } catch (err) {
      if (isCancelled()) return dropped();
      // The parts stored so far stay: Resume (or dropping the file again) carries on from them.
      return this.update(key, { state: 'error', message: sentence(`Upload stopped: ${errorText(err)}`), resumable: true, speed: undefined, eta: undefined });
    } finally {
      this.tasks.delete(key);
    }
    await this.t.forget(file).catch(() => {});
    this.update(key, { state: 'processing', progress: 1, speed: undefined, eta: undefined });
    this.onUploaded(this.find(key)!, created);
    void this.poll(key, created.id);
  }

  private async poll(key: number, id: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_POLLS; attempt++) {
      await this.t.wait(pollDelay(attempt)).promise;
      let track: Track;
      try {
        track = await this.t.get(id);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          return this.update(key, { state: 'error', message: 'This track no longer exists: it was deleted or has expired.' });
        }
        continue; // a network hiccup: try again later
      }
      if (track.status === 'ready') return this.update(key, { state: 'ready', track });
      if (track.status === 'failed') {
        return this.update(key, { state: 'failed', track, message: track.error?.message ?? 'The audio could not be processed.' });
      }
    }
    this.update(key, { state: 'error', message: 'Processing is taking unusually long. Open the link later to check.' });
  }
}

/** The error as a sentence for people (never storage's XML; see sentences.ts). */
function errorText(err: unknown): string {
  return errorSentence(err);
}

/** Ends text with a full stop unless it ends with punctuation already. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Whether trying the same request again can succeed: the connection, the server's limits and
 * its own failures pass; a refusal of the file itself (its type, size or name) does not.
 */
function retryableApiError(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  return err.status === 0 || err.status === 429 || err.status >= 500;
}

