import { describe, expect, it } from 'vitest';
import { ApiError, type Created, type MultipartPlan, type PartsListing, type SignedPart, type Track } from './api';
import { md5Base64, PartHasher, partRange } from './md5';
import { Cancelled, uploadParts, type PartsApi, type SendPart } from './multipart';

const PART = 5 * 1024 * 1024; // Uppy's (and S3's) smallest part
const flush = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

function fileOf(parts: number, last = 1000): File {
  const b = new Uint8Array(PART * (parts - 1) + last);
  for (let i = 0; i < b.length; i += 4096) b[i] = (i / 4096) & 0xff;
  return new File([b], 'set.wav', { type: 'audio/wav' });
}

const createdFor = (file: File): Created & { upload: MultipartPlan } => ({
  id: 'Ab3dEf9Z',
  url: 'http://x/t/Ab3dEf9Z',
  status: 'pending',
  deleteToken: 'tok',
  expiresAt: '',
  upload: { method: 'MULTIPART', partSize: PART, partCount: Math.ceil(file.size / PART), expiresAt: '' },
});

const track = (status: Track['status']): Track => ({ id: 'Ab3dEf9Z', url: 'http://x/t/Ab3dEf9Z', status, filename: 'set.wav', type: 'audio/wav', size: 1, downloadable: true });

/** The server and storage, in memory: parts signed, parts stored, the completion. */
class FakeServer implements PartsApi {
  signed: Array<{ number: number; md5: string; size: number }> = [];
  stored = new Map<number, string>();
  lists = 0;
  completed: { parts: Array<{ number: number; etag: string }>; md5: string } | null = null;
  completeError: ApiError | null = null;
  status: Track['status'] = 'pending';

  sign(id: string, token: string, part: { number: number; md5: string; size: number }): Promise<SignedPart> {
    expect([id, token]).toEqual(['Ab3dEf9Z', 'tok']);
    this.signed.push(part);
    return Promise.resolve({ number: part.number, method: 'PUT', url: `http://s3/part?partNumber=${part.number}`, headers: { 'Content-MD5': part.md5 }, expiresAt: '' });
  }
  list(): Promise<PartsListing> {
    this.lists++;
    return Promise.resolve({ partSize: PART, partCount: 0, uploaded: [...this.stored].map(([number, etag]) => ({ number, etag, size: PART })) });
  }
  complete(_id: string, _t: string, parts: Array<{ number: number; etag: string }>, md5: string): Promise<Track> {
    if (this.completeError) return Promise.reject(this.completeError);
    this.completed = { parts, md5 };
    return Promise.resolve(track('processing'));
  }
  get(): Promise<Track> {
    return Promise.resolve(track(this.status));
  }
}

interface Send {
  number: number;
  md5: string;
  size: number;
  signal?: AbortSignal;
  release(): void;
  fail(status: number): void;
}

/** Storage's side of the part PUTs: each send waits until the test releases or fails it. */
function storage(server: FakeServer, { auto = false } = {}) {
  const sends: Send[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sendPart: SendPart = (o) =>
    new Promise((resolve, reject) => {
      const { signature, body, signal } = o;
      const onProgress = o.onProgress as (e: { loaded: number; lengthComputable: boolean }) => void;
      const onComplete = o.onComplete as (etag: string) => void;
      const number = Number(new URL(signature.url).searchParams.get('partNumber'));
      const size = (body as Blob).size;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      const finish = () => {
        done = true;
        inFlight--;
      };
      const s: Send = {
        number,
        md5: signature.headers?.['Content-MD5'] ?? '',
        size,
        signal,
        release: () => {
          if (done) return;
          finish();
          const etag = `"etag-${number}"`;
          server.stored.set(number, etag);
          onProgress({ loaded: size, lengthComputable: true });
          onComplete(etag);
          resolve({ ETag: etag });
        },
        fail: (status) => {
          if (done) return;
          finish();
          reject(Object.assign(new Error('Non 2xx'), { source: { status } }));
        },
      };
      signal?.addEventListener('abort', () => {
        if (done) return;
        finish();
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
      sends.push(s);
      onProgress({ loaded: size / 2, lengthComputable: true });
      if (auto) s.release();
    });
  const pending = () => sends.filter((s) => !s.signal?.aborted && !server.stored.has(s.number));
  return { sends, sendPart, pending, max: () => maxInFlight };
}

// Real Uppy and real MD5 over megabytes: seconds on a loaded machine, more than vitest's 5 s default.
describe('uploadParts', { timeout: 60_000 }, () => {
  it('sends every part with its own MD5 and size, several at once, then completes with the whole MD5', async () => {
    const file = fileOf(7);
    const server = new FakeServer();
    const st = storage(server);
    const progress: Array<[number, number]> = [];
    const task = uploadParts(file, createdFor(file), null, (l, t) => progress.push([l, t]), {
      api: server, hashes: new PartHasher(file, PART), limit: 4, sendPart: st.sendPart, retryDelays: [],
    });
    // Release parts as they arrive, a few at a time, so that several are in flight together.
    while (server.stored.size < 7) {
      await flush();
      for (const s of st.pending().slice(0, 2)) s.release();
    }
    expect(await task.promise).toMatchObject({ status: 'processing' });

    expect(st.max()).toBeGreaterThanOrEqual(2);
    expect(st.max()).toBeLessThanOrEqual(4);
    expect(st.sends.map((s) => s.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const s of st.sends) {
      expect(s.md5).toBe(await md5Base64(file.slice(...partRange(s.number, PART, file.size))));
      expect(s.size).toBe(s.number === 7 ? 1000 : PART);
    }
    expect(server.signed.map((p) => p.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(server.completed).toEqual({
      parts: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ number: n, etag: `"etag-${n}"` })),
      md5: await md5Base64(file),
    });
    expect(server.lists).toBe(0);
    expect(progress.at(-1)).toEqual([file.size, file.size]);
  });

  it('retries a failed part after a wait, then goes on', async () => {
    const file = fileOf(3);
    const server = new FakeServer();
    const st = storage(server);
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [5, 5] });
    await flush();
    st.sends.find((s) => s.number === 2)!.fail(0); // the connection dropped
    st.sends.find((s) => s.number === 3)!.fail(500);
    for (let i = 0; i < 10 && server.stored.size < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      for (const s of st.pending()) s.release();
    }
    await task.promise;
    expect(st.sends.map((s) => s.number).sort()).toEqual([1, 2, 2, 3, 3]);
    expect(server.completed?.parts.map((p) => p.number)).toEqual([1, 2, 3]);
  });

  it('fails once the retries run out, keeping what storage holds (no abort)', async () => {
    const file = fileOf(2);
    const server = new FakeServer();
    const st = storage(server);
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [5] });
    const failed = expect(task.promise).rejects.toThrow();
    await flush();
    st.sends.find((s) => s.number === 1)!.release();
    for (let i = 0; i < 10; i++) {
      for (const s of st.pending()) s.fail(503);
      await new Promise((r) => setTimeout(r, 10));
    }
    await failed;
    expect(st.sends.filter((s) => s.number === 2).length).toBe(2);
    expect(server.completed).toBeNull();
    expect([...server.stored.keys()]).toEqual([1]);
  });

  it('resuming: sends only the parts storage did not hold', async () => {
    const file = fileOf(5);
    const server = new FakeServer();
    server.stored.set(1, '"etag-1"');
    server.stored.set(3, '"etag-3"');
    const st = storage(server, { auto: true });
    const held = [...server.stored].map(([number, etag]) => ({ number, etag, size: PART }));
    const task = uploadParts(file, createdFor(file), held, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [] });
    await task.promise;
    expect(server.lists).toBe(0); // the listing given served
    expect(st.sends.map((s) => s.number).sort()).toEqual([2, 4, 5]);
    expect(server.completed).toEqual({ parts: [1, 2, 3, 4, 5].map((n) => ({ number: n, etag: `"etag-${n}"` })), md5: await md5Base64(file) });
  });

  it('pause stops the parts in flight and starts no more; resume sends only what storage lacks', async () => {
    const file = fileOf(6);
    const server = new FakeServer();
    const st = storage(server);
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), limit: 3, sendPart: st.sendPart, retryDelays: [] });
    await flush();
    st.sends.find((s) => s.number === 1)!.release();
    await flush();
    task.pause();
    await flush();
    const before = st.sends.length;
    expect(st.sends.filter((s) => !server.stored.has(s.number)).every((s) => s.signal?.aborted)).toBe(true);
    await flush();
    expect(st.sends.length).toBe(before);

    task.resume();
    for (let i = 0; i < 20 && server.stored.size < 6; i++) {
      await flush();
      for (const s of st.pending()) s.release();
    }
    await task.promise;
    expect(server.lists).toBe(1);
    const afterResume = st.sends.slice(before).map((s) => s.number).sort();
    expect(afterResume).toEqual([2, 3, 4, 5, 6]);
    expect(server.completed?.parts.length).toBe(6);
  });

  it('cancel rejects with Cancelled and completes nothing', async () => {
    const file = fileOf(3);
    const server = new FakeServer();
    const st = storage(server);
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [] });
    await flush();
    task.cancel();
    await expect(task.promise).rejects.toBeInstanceOf(Cancelled);
    await flush();
    expect(st.sends.every((s) => s.signal?.aborted || server.stored.has(s.number))).toBe(true);
    expect(server.completed).toBeNull();
  });

  it('stops at once, without retries, when the server no longer knows the upload', async () => {
    const file = fileOf(3);
    const server = new FakeServer();
    let signs = 0;
    server.sign = () => {
      signs++;
      return Promise.reject(new ApiError(404, 'not_found', 'This track no longer exists.'));
    };
    const st = storage(server);
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [50, 50, 50] });
    await expect(task.promise).rejects.toThrow('This track no longer exists.');
    expect(st.sends).toEqual([]);
    expect(signs).toBeLessThanOrEqual(3); // the parts asked for at once, never their retries
  });

  it('a completion whose answer was lost (409 on the retry) counts when the track moved on', async () => {
    const file = fileOf(2);
    const server = new FakeServer();
    server.completeError = new ApiError(409, 'not_pending', 'already completed');
    server.status = 'processing';
    const st = storage(server, { auto: true });
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [] });
    expect(await task.promise).toMatchObject({ status: 'processing' });
  });

  it('a 409 on completion of a track still pending is a failure', async () => {
    const file = fileOf(2);
    const server = new FakeServer();
    server.completeError = new ApiError(409, 'not_pending', 'expired');
    const st = storage(server, { auto: true });
    const task = uploadParts(file, createdFor(file), null, () => {}, { api: server, hashes: new PartHasher(file, PART), sendPart: st.sendPart, retryDelays: [] });
    await expect(task.promise).rejects.toThrow('expired');
  });
});
