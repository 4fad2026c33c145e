import { describe, expect, it } from 'vitest';
import { ApiError, type Created, type CreateRequest, type Track } from './api';
import { SpeedMeter, UploadQueue, type Task, type Transport, type UploadItem, type UploadTarget } from './queue';
import type { Check } from './sniff';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
};

const created = (id: string): Created => ({
  id,
  url: `http://x/t/${id}`,
  status: 'pending',
  upload: { method: 'PUT', url: `http://s3/${id}`, expiresAt: '', headers: { 'Content-Type': 'audio/mpeg', 'Content-MD5': 'md5' } },
  deleteToken: `token-${id}`,
  expiresAt: '',
});

class FakeTransport implements Transport {
  clock = 0;
  refusals = new Map<string, string>();
  hashes: Array<{ name: string; progress: (f: number) => void; d: Deferred<string>; cancelled: boolean }> = [];
  creates: Array<{ req: CreateRequest; d: Deferred<Created> }> = [];
  puts: Array<{ target: UploadTarget; name: string; progress: (l: number, t: number) => void; d: Deferred<void>; cancelled: boolean }> = [];
  removes: Array<[string, string]> = [];
  tracks = new Map<string, Array<Track | ApiError>>();
  gets: string[] = [];
  waits: number[] = [];

  check(file: File): Promise<Check> {
    const reason = this.refusals.get(file.name);
    return Promise.resolve(reason ? { ok: false, reason } : { ok: true, type: 'audio/mpeg' });
  }
  hash(file: File, progress: (f: number) => void): Task<string> {
    const h = { name: file.name, progress, d: deferred<string>(), cancelled: false };
    this.hashes.push(h);
    return {
      promise: h.d.promise,
      cancel: () => {
        h.cancelled = true;
        h.d.reject(new Error('terminated'));
      },
    };
  }
  create(req: CreateRequest): Promise<Created> {
    const d = deferred<Created>();
    this.creates.push({ req, d });
    return d.promise;
  }
  put(target: UploadTarget, file: File, progress: (l: number, t: number) => void): Task<void> {
    const p = { target, name: file.name, progress, d: deferred<void>(), cancelled: false };
    this.puts.push(p);
    return {
      promise: p.d.promise,
      cancel: () => {
        p.cancelled = true;
        p.d.reject(new Error('aborted'));
      },
    };
  }
  remove(id: string, token: string): Promise<void> {
    this.removes.push([id, token]);
    return Promise.resolve();
  }
  get(id: string): Promise<Track> {
    this.gets.push(id);
    const next = this.tracks.get(id)?.shift();
    if (!next) return Promise.reject(new ApiError(0, 'network', 'offline'));
    if (next instanceof ApiError) return Promise.reject(next);
    return Promise.resolve(next);
  }
  wait(ms: number): Task<void> {
    this.waits.push(ms);
    return { promise: Promise.resolve(), cancel: () => {} };
  }
  now() {
    return this.clock;
  }
}

const file = (name: string, size = 1000) => new File([new Uint8Array(size)], name, { type: 'audio/mpeg' });
const track = (id: string, status: Track['status'], extra: Partial<Track> = {}): Track => ({
  id, url: `http://x/t/${id}`, status, filename: 'a.mp3', type: 'audio/mpeg', size: 1000, downloadable: true, ...extra,
});
const states = (q: UploadQueue) => q.items().map((i) => i.state);
const opts = { downloadable: true, public: false };

describe('UploadQueue', () => {
  it('takes a file from hashing through upload to ready', async () => {
    const t = new FakeTransport();
    const uploaded: Array<[UploadItem, Created]> = [];
    const q = new UploadQueue(t, 2, (i, c) => uploaded.push([i, c]));
    const seen: string[] = [];
    q.subscribe((items) => seen.push(items[0].state));

    await q.add([file('song.mp3')], { downloadable: false, public: true });
    await flush();
    expect(states(q)).toEqual(['hashing']);
    t.hashes[0].progress(0.37);
    expect(q.items()[0].progress).toBe(0.37);

    t.hashes[0].d.resolve('kAFQmDzST7DWlj99KOF/cg==');
    await flush();
    expect(t.creates[0].req).toEqual({
      filename: 'song.mp3', type: 'audio/mpeg', size: 1000, md5: 'kAFQmDzST7DWlj99KOF/cg==', downloadable: false, public: true,
    });
    expect(states(q)).toEqual(['uploading']);

    t.creates[0].d.resolve(created('Ab3dEf9Z'));
    await flush();
    expect(t.puts[0].target).toEqual({ url: 'http://s3/Ab3dEf9Z', headers: { 'Content-Type': 'audio/mpeg', 'Content-MD5': 'md5' } });
    t.clock = 0;
    t.puts[0].progress(0, 1000);
    t.clock = 1000;
    t.puts[0].progress(420, 1000);
    expect(q.items()[0].progress).toBeCloseTo(0.42);
    expect(q.items()[0].speed).toBe(420);

    t.tracks.set('Ab3dEf9Z', [track('Ab3dEf9Z', 'pending'), track('Ab3dEf9Z', 'processing'), track('Ab3dEf9Z', 'ready')]);
    t.puts[0].d.resolve();
    await flush();
    expect(uploaded.map(([i, c]) => [i.name, c.deleteToken])).toEqual([['song.mp3', 'token-Ab3dEf9Z']]);
    await flush();
    expect(states(q)).toEqual(['ready']);
    expect(q.items()[0].track?.status).toBe('ready');
    expect(t.gets).toEqual(['Ab3dEf9Z', 'Ab3dEf9Z', 'Ab3dEf9Z']);
    expect(t.waits).toEqual([2000, 2500, 3125]);
    expect(t.removes).toEqual([]);
    expect([...new Set(seen)]).toEqual(['queued', 'hashing', 'uploading', 'processing', 'ready']);
  });

  it('runs at most two files at a time and starts the next when one finishes', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 2);
    await q.add([file('a.mp3'), file('b.mp3'), file('c.mp3')], opts);
    await flush();
    expect(states(q)).toEqual(['hashing', 'hashing', 'queued']);
    expect(t.hashes.map((h) => h.name)).toEqual(['a.mp3', 'b.mp3']);

    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.resolve(created('aaaaaaaa'));
    await flush();
    expect(states(q)).toEqual(['uploading', 'hashing', 'queued']);
    t.tracks.set('aaaaaaaa', [track('aaaaaaaa', 'processing')]);
    t.puts[0].d.resolve();
    await flush();
    // a is processing (no slot held), so c starts.
    expect(t.hashes.map((h) => h.name)).toEqual(['a.mp3', 'b.mp3', 'c.mp3']);
    expect(states(q).slice(1)).toEqual(['hashing', 'hashing']);
  });

  it('refuses files before they take a slot', async () => {
    const t = new FakeTransport();
    t.refusals.set('photo.mp3', 'not an audio file: its content does not look like audio');
    const q = new UploadQueue(t, 1);
    await q.add([file('photo.mp3'), file('ok.mp3')], opts);
    await flush();
    expect(states(q)).toEqual(['refused', 'hashing']);
    expect(q.items()[0].message).toBe('not an audio file: its content does not look like audio');
    expect(t.hashes.map((h) => h.name)).toEqual(['ok.mp3']);
  });

  it('cancels an upload: aborts the PUT, deletes the pending track, frees the slot', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3'), file('b.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.resolve(created('aaaaaaaa'));
    await flush();
    expect(states(q)).toEqual(['uploading', 'queued']);

    q.cancel(q.items()[0].key);
    await flush();
    expect(t.puts[0].cancelled).toBe(true);
    expect(t.removes).toEqual([['aaaaaaaa', 'token-aaaaaaaa']]);
    expect(states(q)).toEqual(['cancelled', 'hashing']);
    expect(t.gets).toEqual([]);
  });

  it('cancels while hashing: terminates the hash, creates nothing', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 2);
    await q.add([file('a.mp3')], opts);
    await flush();
    q.cancel(q.items()[0].key);
    await flush();
    expect(t.hashes[0].cancelled).toBe(true);
    expect(t.creates).toEqual([]);
    expect(states(q)).toEqual(['cancelled']);
  });

  it('cancels while waiting for a slot', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3'), file('b.mp3')], opts);
    await flush();
    q.cancel(q.items()[1].key);
    t.hashes[0].d.resolve('x');
    await flush();
    expect(states(q)).toEqual(['uploading', 'cancelled']);
    expect(t.hashes.length).toBe(1);
  });

  it('deletes the track when cancelled while it was being created', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    q.cancel(q.items()[0].key);
    t.creates[0].d.resolve(created('aaaaaaaa'));
    await flush();
    expect(t.puts).toEqual([]);
    expect(t.removes).toEqual([['aaaaaaaa', 'token-aaaaaaaa']]);
    expect(states(q)).toEqual(['cancelled']);
  });

  it('shows the server message when creating fails', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3'), file('b.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.reject(new ApiError(429, 'rate_limited', 'Too many uploads, try again in a minute.'));
    await flush();
    expect(states(q)).toEqual(['error', 'hashing']);
    expect(q.items()[0].message).toBe('Too many uploads, try again in a minute.');
  });

  it('deletes the pending track when the PUT fails', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.resolve(created('aaaaaaaa'));
    await flush();
    t.puts[0].d.reject(new Error('network error'));
    await flush();
    expect(states(q)).toEqual(['error']);
    expect(q.items()[0].message).toBe('Upload failed: network error');
    expect(t.removes).toEqual([['aaaaaaaa', 'token-aaaaaaaa']]);
  });

  it('reports a processing failure with the server message, and a vanished track', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 2);
    await q.add([file('a.mp3'), file('b.mp3')], opts);
    await flush();
    t.tracks.set('aaaaaaaa', [new ApiError(0, 'network', 'offline'), track('aaaaaaaa', 'failed', { error: { code: 'not_audio', message: 'This file is not audio.' } })]);
    t.tracks.set('bbbbbbbb', [new ApiError(404, 'not_found', 'Not found')]);
    for (const [i, id] of [[0, 'aaaaaaaa'], [1, 'bbbbbbbb']] as const) {
      t.hashes[i].d.resolve('x');
      await flush();
      t.creates[i].d.resolve(created(id));
      await flush();
      t.puts[i].d.resolve();
      await flush();
    }
    await flush();
    expect(states(q)).toEqual(['failed', 'error']);
    expect(q.items()[0].message).toBe('This file is not audio.');
    expect(q.items()[1].message).toMatch(/no longer exists/);
  });
});

describe('SpeedMeter', () => {
  it('measures over a sliding window', () => {
    const m = new SpeedMeter(3000);
    expect(m.add(0, 0)).toBeUndefined();
    expect(m.add(100, 100)).toBeUndefined();
    expect(m.add(1000, 1000)).toBe(1000);
    expect(m.add(2000, 2000)).toBe(1000);
    expect(m.add(4000, 8000)).toBeCloseTo(7000 / 3, 6); // the window now starts at t=1000
    expect(m.add(8000, 8000)).toBe(0); // stalled for the whole window
  });
});
