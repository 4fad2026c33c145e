import { describe, expect, it } from 'vitest';
import { ApiError, type Created, type CreateRequest, type PartsListing, type Track } from './api';
import type { MultipartTask } from './multipart';
import { formatTimeLeft, SpeedMeter, UploadQueue, type MultipartCreated, type Task, type Transport, type UploadItem, type UploadTarget } from './queue';
import type { Resumable } from './resume';
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
  threshold = Infinity;
  resumables = new Map<string, Resumable | Error>();
  remembered: string[] = [];
  forgotten: string[] = [];
  multiparts: Array<{
    name: string;
    created: MultipartCreated;
    held: PartsListing['uploaded'] | null;
    progress: (l: number, t: number) => void;
    d: Deferred<Track>;
    calls: string[];
  }> = [];

  multipartThreshold() {
    return this.threshold;
  }
  resumable(file: File): Promise<Resumable | null> {
    const r = this.resumables.get(file.name);
    return r instanceof Error ? Promise.reject(r) : Promise.resolve(r ?? null);
  }
  remember(file: File): Promise<void> {
    this.remembered.push(file.name);
    return Promise.resolve();
  }
  forget(file: File): Promise<void> {
    this.forgotten.push(file.name);
    return Promise.resolve();
  }
  multipart(file: File, created: MultipartCreated, held: PartsListing['uploaded'] | null, progress: (l: number, t: number) => void): Promise<MultipartTask> {
    const m = { name: file.name, created, held, progress, d: deferred<Track>(), calls: [] as string[] };
    this.multiparts.push(m);
    return Promise.resolve({
      promise: m.d.promise,
      pause: () => m.calls.push('pause'),
      resume: () => m.calls.push('resume'),
      cancel: () => {
        m.calls.push('cancel');
        m.d.reject(new Error('cancelled'));
      },
    });
  }

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
    // Time left for one PUT too: 580 bytes at 420 B/s.
    expect(q.items()[0].eta).toBeCloseTo(580 / 420);
    expect(formatTimeLeft(q.items()[0].eta)).toBe('2 s left');

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

  it('says what to do when creating fails, and offers Retry only where trying again can help', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3'), file('b.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.reject(new ApiError(429, 'rate_limited', 'Too many uploads, try again in a minute.'));
    await flush();
    expect(states(q)).toEqual(['error', 'hashing']);
    expect(q.items()[0]).toMatchObject({ message: 'Too many uploads from your connection in a short time. Wait a few minutes, then retry.', retryable: true });
    t.hashes[1].d.resolve('y');
    await flush();
    // A refusal of the file itself would be refused again: no Retry.
    t.creates[1].d.reject(new ApiError(400, 'invalid_filename', 'bad name'));
    await flush();
    expect(q.items()[1]).toMatchObject({ state: 'error', retryable: false });
    expect(q.items()[1].message).toMatch(/^The file name cannot be used .* Rename the file, then add it again\.$/);
    q.retry(q.items()[1].key);
    expect(states(q)).toEqual(['error', 'error']);
  });

  it('Retry after a failed PUT sends the same file again without hashing it again', async () => {
    const t = new FakeTransport();
    const q = new UploadQueue(t, 1);
    await q.add([file('a.mp3')], opts);
    await flush();
    t.hashes[0].d.resolve('md5-a');
    await flush();
    t.creates[0].d.resolve(created('aaaaaaaa'));
    await flush();
    t.clock = 0;
    t.puts[0].progress(0, 1000);
    t.clock = 1000;
    t.puts[0].progress(500, 1000);
    t.puts[0].d.reject(new Error('Storage is busy and asked to slow down. Wait a minute, then retry.'));
    await flush();
    expect(q.items()[0]).toMatchObject({ state: 'error', retryable: true, speed: undefined, eta: undefined });
    expect(q.items()[0].message).toBe('Upload failed: Storage is busy and asked to slow down. Wait a minute, then retry.');
    expect(t.removes).toEqual([['aaaaaaaa', 'token-aaaaaaaa']]);

    q.retry(q.items()[0].key);
    await flush();
    expect(t.hashes).toHaveLength(1);
    expect(t.creates.map((c) => c.req.md5)).toEqual(['md5-a', 'md5-a']);
    t.creates[1].d.resolve(created('bbbbbbbb'));
    await flush();
    expect(t.puts).toHaveLength(2);
    expect(q.items()[0]).toMatchObject({ state: 'uploading', retryable: false, message: undefined, progress: 0 });
    t.tracks.set('bbbbbbbb', [track('bbbbbbbb', 'ready')]);
    t.puts[1].d.resolve();
    await flush();
    expect(states(q)).toEqual(['ready']);
    // Retry does nothing to an upload that has not failed.
    q.retry(q.items()[0].key);
    expect(states(q)).toEqual(['ready']);
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

const multipartCreated = (id: string, partCount = 4): MultipartCreated => ({
  id,
  url: `http://x/t/${id}`,
  status: 'pending',
  upload: { method: 'MULTIPART', partSize: 250, partCount, expiresAt: '' },
  deleteToken: `token-${id}`,
  expiresAt: '',
});

describe('UploadQueue, files in parts', () => {
  const big = () => {
    const t = new FakeTransport();
    t.threshold = 500;
    return t;
  };

  it('creates without hashing first, remembers the upload, sends the parts, shows speed and time left', async () => {
    const t = big();
    const uploaded: string[] = [];
    const q = new UploadQueue(t, 2, (_i, c) => uploaded.push(c.id));
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    expect(t.hashes).toEqual([]);
    expect(t.creates[0].req).toEqual({ filename: 'set.wav', type: 'audio/mpeg', size: 1000, downloadable: true, public: false });
    t.creates[0].d.resolve(multipartCreated('Ab3dEf9Z'));
    await flush();
    expect(t.remembered).toEqual(['set.wav']);
    expect(t.multiparts.map((m) => [m.name, m.created.id, m.held])).toEqual([['set.wav', 'Ab3dEf9Z', null]]);
    expect(q.items()[0]).toMatchObject({ state: 'uploading', multipart: true });

    const m = t.multiparts[0];
    t.clock = 0;
    m.progress(0, 1000);
    t.clock = 1000;
    m.progress(250, 1000);
    expect(q.items()[0]).toMatchObject({ progress: 0.25, speed: 250, eta: 3 });

    t.tracks.set('Ab3dEf9Z', [track('Ab3dEf9Z', 'ready')]);
    m.d.resolve(track('Ab3dEf9Z', 'processing'));
    await flush();
    expect(t.forgotten).toEqual(['set.wav']);
    expect(uploaded).toEqual(['Ab3dEf9Z']);
    expect(states(q)).toEqual(['ready']);
    expect(t.removes).toEqual([]);
  });

  it('pause and resume reach the upload; progress while paused is ignored', async () => {
    const t = big();
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    t.creates[0].d.resolve(multipartCreated('Ab3dEf9Z'));
    await flush();
    const key = q.items()[0].key;
    q.pause(key);
    expect(states(q)).toEqual(['paused']);
    t.multiparts[0].progress(500, 1000);
    expect(q.items()[0].progress).toBe(0);
    q.pause(key); // already paused: nothing more
    q.resume(key);
    expect(states(q)).toEqual(['uploading']);
    expect(t.multiparts[0].calls).toEqual(['pause', 'resume']);
  });

  it('resumes an upload this browser remembers: no new track, only the missing parts', async () => {
    const t = big();
    const c = multipartCreated('Ab3dEf9Z');
    t.resumables.set('set.wav', { kind: 'pending', created: c, uploaded: [{ number: 1, etag: '"a"', size: 250 }, { number: 2, etag: '"b"', size: 250 }] });
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    expect(t.creates).toEqual([]);
    expect(t.remembered).toEqual([]);
    expect(t.multiparts.map((m) => [m.created.id, m.held?.length])).toEqual([['Ab3dEf9Z', 2]]);
    expect(q.items()[0]).toMatchObject({ state: 'uploading', resumedParts: 2, progress: 0.5, created: c });
  });

  it('an upload completed before the tab closed goes straight to processing', async () => {
    const t = big();
    t.resumables.set('set.wav', { kind: 'completed', created: multipartCreated('Ab3dEf9Z') });
    t.tracks.set('Ab3dEf9Z', [track('Ab3dEf9Z', 'ready')]);
    const uploaded: string[] = [];
    const q = new UploadQueue(t, 2, (_i, c) => uploaded.push(c.id));
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    expect(t.creates).toEqual([]);
    expect(t.multiparts).toEqual([]);
    expect(uploaded).toEqual(['Ab3dEf9Z']);
    expect(states(q)).toEqual(['ready']);
  });

  it('a failure keeps the track and the parts; Resume starts again from what storage holds', async () => {
    const t = big();
    const q = new UploadQueue(t, 1);
    await q.add([file('set.wav', 1000), file('next.mp3', 100)], opts);
    await flush();
    t.creates[0].d.resolve(multipartCreated('Ab3dEf9Z'));
    await flush();
    t.multiparts[0].d.reject(new Error('the connection was lost'));
    await flush();
    expect(q.items()[0]).toMatchObject({ state: 'error', message: 'Upload stopped: the connection was lost.', resumable: true });
    expect(t.removes).toEqual([]);
    expect(t.forgotten).toEqual([]);
    expect(states(q)).toEqual(['error', 'hashing']); // the slot went to the next file

    t.resumables.set('set.wav', { kind: 'pending', created: multipartCreated('Ab3dEf9Z'), uploaded: [{ number: 1, etag: '"a"', size: 250 }] });
    q.retry(q.items()[0].key);
    expect(states(q)).toEqual(['queued', 'hashing']);
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[1].d.resolve(created('bbbbbbbb'));
    await flush();
    t.puts[0].d.resolve();
    await flush();
    expect(t.multiparts.map((m) => [m.created.id, m.held?.map((p) => p.number)])).toEqual([['Ab3dEf9Z', undefined], ['Ab3dEf9Z', [1]]]);
    expect(q.items()[0]).toMatchObject({ state: 'uploading', resumedParts: 1 });
  });

  it('cancel stops the parts, deletes the track and forgets the upload', async () => {
    const t = big();
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    t.creates[0].d.resolve(multipartCreated('Ab3dEf9Z'));
    await flush();
    q.pause(q.items()[0].key);
    q.cancel(q.items()[0].key);
    await flush();
    expect(t.multiparts[0].calls).toEqual(['pause', 'cancel']);
    expect(t.removes).toEqual([['Ab3dEf9Z', 'token-Ab3dEf9Z']]);
    expect(t.forgotten).toEqual(['set.wav']);
    expect(states(q)).toEqual(['cancelled']);
  });

  it('falls back to one PUT when the server wants the MD5 first (its threshold is higher)', async () => {
    const t = big();
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    t.creates[0].d.reject(new ApiError(400, 'invalid_md5', 'md5 is required'));
    await flush();
    expect(states(q)).toEqual(['hashing']);
    t.hashes[0].d.resolve('x');
    await flush();
    expect(t.creates[1].req.md5).toBe('x');
  });

  it('goes on in parts when the server answers a hashed file with a multipart plan (its threshold is lower)', async () => {
    const t = new FakeTransport(); // the page's threshold: none
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    t.hashes[0].d.resolve('x');
    await flush();
    t.creates[0].d.resolve(multipartCreated('Ab3dEf9Z'));
    await flush();
    expect(t.puts).toEqual([]);
    expect(t.remembered).toEqual(['set.wav']);
    expect(t.multiparts.map((m) => [m.created.id, m.held])).toEqual([['Ab3dEf9Z', null]]);
    expect(q.items()[0]).toMatchObject({ state: 'uploading', multipart: true });
  });

  it('says so when it cannot check for an earlier upload', async () => {
    const t = big();
    t.resumables.set('set.wav', new ApiError(0, 'network', 'The server could not be reached.'));
    const q = new UploadQueue(t, 2);
    await q.add([file('set.wav', 1000)], opts);
    await flush();
    expect(q.items()[0]).toMatchObject({ state: 'error', message: 'Could not check for an earlier upload of this file: The server could not be reached. Check your connection, then retry.' });
    expect(t.creates).toEqual([]);
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

describe('formatTimeLeft', () => {
  it.each([
    [0, '0 s left'],
    [0.2, '1 s left'],
    [59, '59 s left'],
    [60, '1 min left'],
    [61, '2 min left'],
    [3599, '1 h 00 min left'],
    [59 * 60, '59 min left'],
    [3600, '1 h 00 min left'],
    [3600 + 5 * 60, '1 h 05 min left'],
    [undefined, ''],
    [-1, ''],
    [Infinity, ''],
    [NaN, ''],
  ])('%s → %j', (secs, want) => {
    expect(formatTimeLeft(secs)).toBe(want);
  });
});
