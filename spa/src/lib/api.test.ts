import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrack, DEFAULT_CONFIG, getConfig, getTrack } from './api';

afterEach(() => {
  vi.unstubAllGlobals();
});

function stubFetch(status: number, body: unknown) {
  const fetch = vi.fn((_url: string, _init?: RequestInit) =>
    Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

describe('createTrack', () => {
  // The server refuses any other Content-Type (415), so that no cross-site form can start uploads.
  it('posts JSON declared as application/json', async () => {
    const fetch = stubFetch(201, { id: 'Ab3dEf9Z' });
    const req = { filename: 'a.mp3', type: 'audio/mpeg', size: 3, md5: '1B2M2Y8AsgTpgAmY7PhCfg==', downloadable: true, public: false };
    await expect(createTrack(req)).resolves.toEqual({ id: 'Ab3dEf9Z' });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/tracks');
    expect(init?.method).toBe('POST');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
    const body = init?.body;
    if (typeof body !== 'string') throw new Error(`body is ${typeof body}, want a JSON string`);
    expect(JSON.parse(body)).toEqual(req);
  });
});

describe('getTrack', () => {
  // The embed reads the API from other sites' frames: a simple request (no preflight), never
  // with credentials beyond the default same-origin ones.
  it('sends no header that would need a preflight', async () => {
    const fetch = stubFetch(200, { id: 'Ab3dEf9Z' });
    await getTrack('Ab3dEf9Z');
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/tracks/Ab3dEf9Z');
    expect([...new Headers(init?.headers).keys()]).toEqual(['accept']);
    expect(init?.credentials).not.toBe('include');
  });
});

describe('getConfig', () => {
  const limits = { maxUploadBytes: 1000, maxDurationSeconds: 60, retentionDays: 7, types: ['audio/mpeg'] };

  it('carries the fediverse account when the server names one', async () => {
    stubFetch(200, { ...limits, fediverse: '@tracks@127.0.0.1:8080' });
    await expect(getConfig()).resolves.toEqual({ ...limits, fediverse: '@tracks@127.0.0.1:8080' });
  });

  it('says null (federation off) when the server names none, or something that is not a handle', async () => {
    stubFetch(200, limits);
    expect((await getConfig()).fediverse).toBeNull();
    stubFetch(200, { ...limits, fediverse: '<b>x</b>' });
    expect((await getConfig()).fediverse).toBeNull();
  });

  it('leaves it unknown when the config cannot be read', async () => {
    stubFetch(500, { error: { code: 'internal', message: 'no' } });
    const c = await getConfig();
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c.fediverse).toBeUndefined();
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('offline'))));
    expect((await getConfig()).fediverse).toBeUndefined();
  });
});
