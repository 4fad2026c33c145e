import { describe, expect, it } from 'vitest';
import { canShare, shareLink, type ShareData } from './share';

const data: ShareData = { url: 'https://x/t/abc', title: 'Song' };

/** A copy function that records what it was given. */
function clipboard(ok = true) {
  const copied: string[] = [];
  return { copied, copy: (text: string) => (copied.push(text), Promise.resolve(ok)) };
}

const err = (name: string) => new DOMException('no', name);

describe('shareLink', () => {
  it('opens the share sheet with the link and title where there is one; nothing is copied', async () => {
    const shared: ShareData[] = [];
    const c = clipboard();
    expect(await shareLink(data, { share: (d) => (shared.push(d), Promise.resolve()) }, c.copy)).toBe('shared');
    expect(shared).toEqual([data]);
    expect(c.copied).toEqual([]);
  });

  it('no Web Share API (desktop Chromium on Linux, an old browser): copies the link', async () => {
    const c = clipboard();
    expect(await shareLink(data, {}, c.copy)).toBe('copied');
    expect(await shareLink(data, undefined, c.copy)).toBe('copied');
    expect(c.copied).toEqual([data.url, data.url]);
  });

  it('canShare says no: copies', async () => {
    const c = clipboard();
    let called = false;
    const nav = { share: () => ((called = true), Promise.resolve()), canShare: () => false };
    expect(await shareLink(data, nav, c.copy)).toBe('copied');
    expect(called).toBe(false);
  });

  it('the sheet refuses (no permission in a frame, no gesture): copies', async () => {
    const c = clipboard();
    expect(await shareLink(data, { share: () => Promise.reject(err('NotAllowedError')) }, c.copy)).toBe('copied');
    expect(c.copied).toEqual([data.url]);
  });

  it('the listener closes the sheet: cancelled, nothing copied', async () => {
    const c = clipboard();
    expect(await shareLink(data, { share: () => Promise.reject(err('AbortError')) }, c.copy)).toBe('cancelled');
    expect(c.copied).toEqual([]);
  });

  it('the copy fails too: failed', async () => {
    expect(await shareLink(data, {}, clipboard(false).copy)).toBe('failed');
  });
});

describe('canShare', () => {
  it('needs share(); asks canShare() when there is one, and a throwing canShare() is a no', () => {
    expect(canShare(undefined, data)).toBe(false);
    expect(canShare({}, data)).toBe(false);
    expect(canShare({ share: () => Promise.resolve() }, data)).toBe(true);
    expect(canShare({ share: () => Promise.resolve(), canShare: () => true }, data)).toBe(true);
    const throwing = {
      share: () => Promise.resolve(),
      canShare: (): boolean => {
        throw new TypeError('x');
      },
    };
    expect(canShare(throwing, data)).toBe(false);
  });
});
