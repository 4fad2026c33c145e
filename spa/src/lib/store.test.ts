import { afterEach, describe, expect, it } from 'vitest';
import { browserStorage, manageLink, manageToken, STORE_KEY, TokenStore, type StorageLike } from './store';
import { EXPORT_FORMAT, exportTokens, parseImport } from './tokenfile';

class MemoryStorage implements StorageLike {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const entry = (id: string) => ({ id, url: `http://x/t/${id}`, filename: `${id}.mp3`, deleteToken: `tok-${id}`, createdAt: '2025-01-01T00:00:00Z' });

describe('TokenStore', () => {
  it('adds newest first, replaces by id, removes', () => {
    const mem = new MemoryStorage();
    const s = new TokenStore(mem);
    expect(s.list()).toEqual([]);
    s.add(entry('aaaaaa'));
    s.add(entry('bbbbbb'));
    s.add({ ...entry('aaaaaa'), filename: 'new.mp3' });
    expect(s.list().map((e) => [e.id, e.filename])).toEqual([
      ['aaaaaa', 'new.mp3'],
      ['bbbbbb', 'bbbbbb.mp3'],
    ]);
    s.remove('aaaaaa');
    expect(s.list().map((e) => e.id)).toEqual(['bbbbbb']);
    expect(JSON.parse(mem.getItem(STORE_KEY)!)).toEqual([entry('bbbbbb')]);
  });

  it.each(['{not json', '"a string"', '{"id":"x"}', 'null', '42'])('tolerates corrupt value %s', (raw) => {
    const mem = new MemoryStorage();
    mem.setItem(STORE_KEY, raw);
    const s = new TokenStore(mem);
    expect(s.list()).toEqual([]);
    s.add(entry('cccccc'));
    expect(s.list()).toEqual([entry('cccccc')]);
  });

  it('drops malformed entries and extra fields', () => {
    const mem = new MemoryStorage();
    mem.setItem(STORE_KEY, JSON.stringify([null, { id: 'x' }, { ...entry('dddddd'), extra: 1 }, { ...entry('eeeeee'), deleteToken: 5 }]));
    expect(new TokenStore(mem).list()).toEqual([entry('dddddd')]);
  });

  it('survives storage that throws', () => {
    const broken: StorageLike = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    const s = new TokenStore(broken);
    expect(s.list()).toEqual([]);
    expect(s.add(entry('ffffff'))).toBe(false);
    expect(new TokenStore(null).add(entry('ffffff'))).toBe(false);
  });
});

describe('browserStorage', () => {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  afterEach(() => {
    if (had) Object.defineProperty(globalThis, 'localStorage', had);
    else delete (globalThis as { localStorage?: unknown }).localStorage;
  });

  // In a sandboxed frame (an opaque origin, as link cards frame the embed) merely reading
  // window.localStorage throws a SecurityError.
  it('is null where reading localStorage throws, and the store then keeps nothing', () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('The document is sandboxed and lacks the allow-same-origin flag.', 'SecurityError');
      },
    });
    expect(browserStorage()).toBeNull();
    const s = new TokenStore(browserStorage());
    expect(s.list()).toEqual([]);
    expect(s.add(entry('gggggg'))).toBe(false);
  });

  it('is null where there is no localStorage', () => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
    expect(browserStorage()).toBeNull();
  });
});

describe('token export and import', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  const token = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
  const good = (id: string, extra: Record<string, unknown> = {}) => ({
    id, url: `http://old.example/t/${id}`, filename: `${id}.mp3`, deleteToken: token, createdAt: '2026-12-01T10:00:00.000Z', ...extra,
  });

  it('round-trips: what export writes, import reads back with links on this origin', () => {
    const list = [good('Ab3dEf9Z'), good('Zz9yXw8V')];
    const text = exportTokens(list, now);
    expect(JSON.parse(text)).toMatchObject({ format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString() });
    const r = parseImport(text, 'https://sound.example', now);
    expect(r).toEqual({
      ok: true, skipped: 0,
      entries: list.map((e) => ({ ...e, url: `https://sound.example/t/${e.id}` })),
    });
  });

  it('takes the bare list too (as localStorage keeps it)', () => {
    const r = parseImport(JSON.stringify([good('Ab3dEf9Z')]), 'http://h', now);
    expect(r.ok && r.entries.map((e) => e.id)).toEqual(['Ab3dEf9Z']);
  });

  it('skips and counts bad entries; never keeps a link from the file', () => {
    const r = parseImport(JSON.stringify({
      format: EXPORT_FORMAT,
      uploads: [
        good('Ab3dEf9Z', { url: 'javascript:alert(1)', filename: '', createdAt: 'yesterday' }),
        good('Ab3dEf9Z'), // a duplicate
        good('bad id!'),
        good('Cc3dEf9Z', { deleteToken: 'short' }),
        good('Dd3dEf9Z', { deleteToken: 'has space in it and is long enough' }),
        { id: 'Ee3dEf9Z' },
        null,
        'text',
        good('Ff3dEf9Z', { filename: 'x'.repeat(400) }),
      ],
    }), 'http://h', now);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.skipped).toBe(7);
    expect(r.entries).toEqual([
      { id: 'Ab3dEf9Z', url: 'http://h/t/Ab3dEf9Z', filename: 'Ab3dEf9Z', deleteToken: token, createdAt: now.toISOString() },
      { id: 'Ff3dEf9Z', url: 'http://h/t/Ff3dEf9Z', filename: 'x'.repeat(255), deleteToken: token, createdAt: '2026-12-01T10:00:00.000Z' },
    ]);
  });

  it.each([
    ['not JSON', '{oops', /not a Soundtime export/],
    ['another JSON file', '{"name":"package","version":"1.0.0"}', /not a Soundtime export/],
    ['a number', '42', /not a Soundtime export/],
    ['our format without a list', `{"format":"${EXPORT_FORMAT}","uploads":{}}`, /not a Soundtime export/],
    ['an empty export', `{"format":"${EXPORT_FORMAT}","uploads":[]}`, /holds no delete tokens/],
    ['only bad entries', JSON.stringify([{ id: 'x' }, 1]), /None of the entries .* valid .* nothing was imported/],
  ])('refuses %s with a clear message', (_what, text, want) => {
    const r = parseImport(text, 'http://h', now);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(want);
  });

  it('merge adds what is new, keeps the tokens already held, newest first', () => {
    const s = new TokenStore(new MemoryStorage());
    s.add({ ...good('Ab3dEf9Z'), deleteToken: 'mine-mine-mine-mine' });
    const added = s.merge([
      { ...good('Ab3dEf9Z'), deleteToken: 'other-other-other-other' },
      { ...good('Bb3dEf9Z'), createdAt: '2026-12-02T00:00:00.000Z' },
      { ...good('Cc3dEf9Z'), createdAt: '2026-11-01T00:00:00.000Z' },
    ]);
    expect(added).toBe(2);
    expect(s.list().map((e) => [e.id, e.deleteToken === token])).toEqual([
      ['Bb3dEf9Z', true],
      ['Ab3dEf9Z', false],
      ['Cc3dEf9Z', true],
    ]);
    expect(s.merge([good('Bb3dEf9Z')])).toBe(0);
    expect(new TokenStore(null).merge([good('Bb3dEf9Z')])).toBeNull();
  });
});

describe('manage links', () => {
  const token = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
  it('carry the token in the fragment only', () => {
    const link = manageLink('https://sound.example/t/Ab3dEf9Z', token);
    expect(link).toBe(`https://sound.example/t/Ab3dEf9Z#delete=${token}`);
    const u = new URL(link);
    expect(u.pathname + u.search).toBe('/t/Ab3dEf9Z');
    expect(manageToken(u.hash)).toBe(token);
  });
  it.each(['', '#', '#t=1:23', '#delete=', '#delete=short', '#delete=%E0%A4%A', `#delete=${token}&t=3`, `#x&delete=${token}`])('%j holds no token', (hash) => {
    expect(manageToken(hash)).toBeNull();
  });
});
