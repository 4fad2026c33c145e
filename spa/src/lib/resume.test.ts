import { describe, expect, it } from 'vitest';
import { ApiError, type PartsListing, type Track } from './api';
import { md5Base64 } from './md5';
import { fileKey, ResumeBook, type KV, type ResumeRecord } from './resume';

class MapKV implements KV {
  m = new Map<string, unknown>();
  get(k: string) {
    return Promise.resolve(this.m.get(k));
  }
  set(k: string, v: unknown) {
    this.m.set(k, structuredClone(v));
    return Promise.resolve();
  }
  delete(k: string) {
    this.m.delete(k);
    return Promise.resolve();
  }
}

const PART = 4;
const created: ResumeRecord['created'] = {
  id: 'Ab3dEf9Z',
  url: 'http://x/t/Ab3dEf9Z',
  status: 'pending',
  deleteToken: 'tok',
  expiresAt: '',
  upload: { method: 'MULTIPART', partSize: PART, partCount: 3, expiresAt: '' },
};
const file = (content = 'abcdefghij', name = 'set.wav', lastModified = 1700000000000) => new File([content], name, { lastModified });
const listing = (uploaded: PartsListing['uploaded'] = [{ number: 1, etag: '"e1"', size: 4 }]): PartsListing => ({ partSize: PART, partCount: 3, uploaded });

function book(list: () => Promise<PartsListing>, track: () => Promise<Track> = () => Promise.reject(new ApiError(404, 'not_found', 'gone'))) {
  const kv = new MapKV();
  const calls: string[] = [];
  const b = new ResumeBook(
    kv,
    (blob) => md5Base64(blob),
    (id, token) => {
      calls.push(`list ${id} ${token}`);
      return list();
    },
    (id) => {
      calls.push(`get ${id}`);
      return track();
    },
    () => 0,
  );
  return { kv, calls, b };
}

describe('ResumeBook', () => {
  it('finds the same file again, with the parts storage holds', async () => {
    const { b, kv, calls } = book(() => Promise.resolve(listing()));
    await b.save(file(), created);
    const rec = kv.m.get(fileKey(file())) as ResumeRecord;
    expect(rec).toMatchObject({ name: 'set.wav', size: 10, lastModified: 1700000000000, firstPartMD5: await md5Base64(new Blob(['abcd'])), created });
    expect(await b.find(file())).toEqual({ kind: 'pending', created, uploaded: listing().uploaded });
    expect(calls).toEqual(['list Ab3dEf9Z tok']);
  });

  it('never started here, or another file by that name: nothing to resume, storage not asked', async () => {
    const { b, calls } = book(() => Promise.resolve(listing()));
    expect(await b.find(file())).toBeNull();
    await b.save(file(), created);
    expect(await b.find(file('abcdefghij', 'other.wav'))).toBeNull();
    expect(await b.find(file('abcdefghij', 'set.wav', 1700000000001))).toBeNull();
    expect(await b.find(file('abcdefghi!'))).not.toBeNull(); // the same first part: the same file as far as we can tell
    expect(calls).toEqual(['list Ab3dEf9Z tok']);
  });

  it('a file edited in place (same name, size and time, another first part) starts over and is forgotten', async () => {
    const { b, kv, calls } = book(() => Promise.resolve(listing()));
    await b.save(file(), created);
    expect(await b.find(file('ABCDefghij'))).toBeNull();
    expect(kv.m.size).toBe(0);
    expect(calls).toEqual([]);
  });

  it('an upload deleted or expired (404, 403) is forgotten', async () => {
    for (const err of [new ApiError(404, 'not_found', 'gone'), new ApiError(403, 'forbidden', 'no')]) {
      const { b, kv } = book(() => Promise.reject(err));
      await b.save(file(), created);
      expect(await b.find(file())).toBeNull();
      expect(kv.m.size).toBe(0);
    }
  });

  it('not pending any more: completed when the track moved on, else gone', async () => {
    const done = book(
      () => Promise.reject(new ApiError(409, 'not_pending', 'completed')),
      () => Promise.resolve({ id: 'Ab3dEf9Z', status: 'processing' } as Track),
    );
    await done.b.save(file(), created);
    expect(await done.b.find(file())).toEqual({ kind: 'completed', created });
    expect(done.calls).toEqual(['list Ab3dEf9Z tok', 'get Ab3dEf9Z']);
    expect(done.kv.m.size).toBe(0);

    const expired = book(() => Promise.reject(new ApiError(409, 'not_pending', 'expired')));
    await expired.b.save(file(), created);
    expect(await expired.b.find(file())).toBeNull();
  });

  it('a network failure rejects and keeps the record for later', async () => {
    const { b, kv } = book(() => Promise.reject(new ApiError(0, 'network', 'offline')));
    await b.save(file(), created);
    await expect(b.find(file())).rejects.toThrow('offline');
    expect(kv.m.size).toBe(1);
  });

  it('a listing of another plan, or a corrupt record, is forgotten', async () => {
    const other = book(() => Promise.resolve({ ...listing(), partSize: 8 }));
    await other.b.save(file(), created);
    expect(await other.b.find(file())).toBeNull();
    expect(other.kv.m.size).toBe(0);

    const corrupt = book(() => Promise.resolve(listing()));
    await corrupt.kv.set(fileKey(file()), { name: 'set.wav', created: { id: 'x' } });
    expect(await corrupt.b.find(file())).toBeNull();
    expect(corrupt.kv.m.size).toBe(0);
    expect(corrupt.calls).toEqual([]);
  });
});
