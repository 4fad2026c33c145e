import { describe, expect, it } from 'vitest';
import type { Track } from './api';
import { fediverseNotice, parseHandle, PUBLIC_LABEL, publicOption } from './fediverse';

describe('parseHandle', () => {
  it('takes @user@host, with a port or an IPv6 literal', () => {
    expect(parseHandle('@tracks@soundtime.example')).toBe('@tracks@soundtime.example');
    expect(parseHandle('@tracks@127.0.0.1:8080')).toBe('@tracks@127.0.0.1:8080');
    expect(parseHandle('@tracks@[::1]:8080')).toBe('@tracks@[::1]:8080');
  });

  it('refuses anything else', () => {
    for (const v of [undefined, null, 42, {}, '', 'tracks@host', '@tracks', '@@host', '@tracks@', '@a b@host', '@tracks@host/x', '@a@b@c', 'x'.repeat(400)]) {
      expect(parseHandle(v), JSON.stringify(v)).toBeUndefined();
    }
    expect(parseHandle('@' + 'a'.repeat(400) + '@host')).toBeUndefined();
  });
});

describe('publicOption', () => {
  it('names the account whose followers see the track', () => {
    const o = publicOption('@tracks@127.0.0.1:8080');
    expect(o.available).toBe(true);
    expect(o.label).toBe(PUBLIC_LABEL);
    expect(o.label).toMatch(/^Public — announce it to the fediverse$/);
    expect(o.help).toMatch(/^Followers of @tracks@127\.0\.0\.1:8080 see it in their timelines/);
    expect(o.help).toMatch(/search engines/);
  });

  it('while the config is unknown, stays available without naming an account', () => {
    const o = publicOption(undefined);
    expect(o.available).toBe(true);
    expect(o.label).toBe(PUBLIC_LABEL);
    expect(o.help).not.toMatch(/@/);
  });

  it('with federation off, is unavailable and says why', () => {
    const o = publicOption(null);
    expect(o.available).toBe(false);
    expect(o.label).toBe('Public');
    expect(o.help).toMatch(/does not announce tracks to the fediverse/);
  });
});

describe('fediverseNotice', () => {
  const h = '@tracks@example.org';
  const t = (over: Partial<Track>): Pick<Track, 'public' | 'announced' | 'status'> => ({ status: 'ready', public: false, ...over });

  it('a public, announced track says so, with the handle', () => {
    expect(fediverseNotice(t({ public: true, announced: true }), h)).toEqual({ kind: 'announced', handle: h });
  });

  it('a public track still pending or processing will be announced', () => {
    expect(fediverseNotice(t({ public: true, status: 'pending' }), h)).toEqual({ kind: 'pending', handle: h });
    expect(fediverseNotice(t({ public: true, status: 'processing' }), h)).toEqual({ kind: 'pending', handle: h });
  });

  it('a private track shows nothing, whatever else it says', () => {
    expect(fediverseNotice(t({ public: false }), h)).toBeNull();
    expect(fediverseNotice(t({ public: undefined, status: 'processing' }), h)).toBeNull();
    expect(fediverseNotice(t({ public: false, announced: true }), h)).toBeNull();
  });

  it('a public track that failed, or became ready without an announcement, shows nothing', () => {
    expect(fediverseNotice(t({ public: true, status: 'failed' }), h)).toBeNull();
    expect(fediverseNotice(t({ public: true, status: 'ready' }), h)).toBeNull();
  });

  it('without a handle (config unread, or federation off) shows nothing', () => {
    for (const none of [undefined, null, '']) {
      expect(fediverseNotice(t({ public: true, announced: true }), none)).toBeNull();
      expect(fediverseNotice(t({ public: true, status: 'processing' }), none)).toBeNull();
    }
  });
});
