import { afterEach, describe, expect, it } from 'vitest';
import { browserStorage, STORE_KEY, TokenStore, type StorageLike } from './store';

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
