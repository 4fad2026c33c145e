// The upload queue: each file goes checked → hashed → created → uploaded → processed, at most
// `concurrency` files hashing or uploading at once. Everything that touches the browser or the
// network is behind Transport, so the state machine runs in tests with a fake.

import type { Check } from './sniff';
import type { Created, CreateRequest, Track } from './api';
import { ApiError } from './api';
import { pollDelay } from './poll';

export type UploadState =
  | 'queued' // checked and waiting for a free slot
  | 'refused' // failed the checks before upload
  | 'hashing'
  | 'uploading'
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

export interface Transport {
  check(file: File): Promise<Check>;
  hash(file: File, onProgress: (fraction: number) => void): Task<string>;
  create(req: CreateRequest): Promise<Created>;
  put(target: UploadTarget, file: File, onProgress: (loaded: number, total: number) => void): Task<void>;
  remove(id: string, token: string): Promise<void>;
  get(id: string): Promise<Track>;
  wait(ms: number): Task<void>;
  now(): number;
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

export const MAX_POLLS = 400;

export class UploadQueue {
  private list: UploadItem[] = [];
  private waiting: Array<{ item: UploadItem; file: File; type: string }> = [];
  private active = 0;
  private nextKey = 1;
  private listeners = new Set<(items: UploadItem[]) => void>();
  private cancels = new Map<number, () => void>();
  private cancelled = new Set<number>();

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
      this.waiting.push({ item, file, type: check.type });
      this.pump();
    }
  }

  cancel(key: number): void {
    const item = this.find(key);
    if (!item || !['queued', 'hashing', 'uploading'].includes(item.state)) return;
    this.cancelled.add(key);
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((w) => w.item.key !== key);
    if (this.waiting.length !== before || item.state === 'queued') {
      this.update(key, { state: 'cancelled', message: undefined });
      return;
    }
    this.cancels.get(key)?.();
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

  /** Hash, create and upload one file; the slot is held until this returns. */
  private async run(key: number, file: File, type: string): Promise<void> {
    const item = this.find(key)!;
    const isCancelled = () => this.cancelled.has(key);

    // 1. Hash.
    this.update(key, { state: 'hashing', progress: 0 });
    const hashing = this.t.hash(file, (f) => this.update(key, { progress: f }));
    this.cancels.set(key, () => hashing.cancel());
    let md5: string;
    try {
      md5 = await hashing.promise;
    } catch (err) {
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      return this.update(key, { state: 'error', message: `Could not read the file: ${errorText(err)}` });
    }
    if (isCancelled()) return this.update(key, { state: 'cancelled' });

    // 2. Create the track. A cancel now is honoured once the server has answered.
    this.update(key, { state: 'uploading', progress: 0, speed: undefined });
    this.cancels.set(key, () => {});
    let created: Created;
    try {
      created = await this.t.create({ filename: file.name, type, size: file.size, md5, ...item.options });
    } catch (err) {
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      return this.update(key, { state: 'error', message: errorText(err) });
    }
    this.update(key, { created });
    if (isCancelled()) {
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      return this.update(key, { state: 'cancelled' });
    }

    // 3. Upload the bytes.
    const meter = new SpeedMeter();
    const putting = this.t.put({ url: created.upload.url, headers: created.upload.headers }, file, (loaded, total) => {
      const speed = meter.add(this.t.now(), loaded);
      this.update(key, { progress: total ? loaded / total : 0, ...(speed !== undefined ? { speed } : {}) });
    });
    this.cancels.set(key, () => putting.cancel());
    try {
      await putting.promise;
    } catch (err) {
      // Nothing is left behind: the pending track is deleted whether cancelled or failed.
      await this.t.remove(created.id, created.deleteToken).catch(() => {});
      if (isCancelled()) return this.update(key, { state: 'cancelled' });
      return this.update(key, { state: 'error', message: `Upload failed: ${errorText(err)}` });
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

function errorText(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return 'unknown error';
}

