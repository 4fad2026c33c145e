import { describe, expect, it } from 'vitest';
import {
  FATAL,
  PlayerController,
  REFUSED,
  type HlsEvents,
  type HlsInstance,
  type HlsLib,
  type HlsLoader,
  type Media,
  type PlayerDeps,
  type PlayerState,
} from './player';
import { MAX_RELOADS, MAX_RELOADS_PER_WINDOW, PROGRESS_MARGIN } from './recovery';
import type { StreamError } from './recovery';

const flush = () => new Promise<void>((r) => setTimeout(r, 0));

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An <audio> element as far as the controller can tell: events are fired by the test. */
class FakeMedia implements Media {
  currentTime = 0;
  paused = true;
  readyState = 0;
  error: { code: number } | null = null;
  private url = '';
  plays = 0;
  pauses = 0;
  /** What the next play() does: start (and fire play), or reject with this error name. */
  refuse: string | null = null;
  hlsNative = '';
  private listeners = new Map<string, Set<() => void>>();

  get src(): string {
    return this.url;
  }
  /** A new src starts loading from nothing, as the element's load algorithm does. */
  set src(url: string) {
    this.url = url;
    this.readyState = 0;
  }
  play(): Promise<void> {
    this.plays++;
    if (this.refuse) return Promise.reject(new DOMException('refused', this.refuse));
    if (this.paused) {
      this.paused = false;
      this.fire('play');
    }
    return Promise.resolve();
  }
  pause(): void {
    this.pauses++;
    if (!this.paused) {
      this.paused = true;
      this.fire('pause');
    }
  }
  removeAttribute(name: 'src'): void {
    if (name === 'src') this.url = '';
  }
  canPlayType(type: string): string {
    return type === 'application/vnd.apple.mpegurl' ? this.hlsNative : '';
  }
  addEventListener(type: string, fn: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: () => void): void {
    this.listeners.get(type)?.delete(fn);
  }
  fire(type: string): void {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn();
  }
  listening(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
  /** Playback reaches t, as the element reports it. */
  reach(t: number): void {
    this.currentTime = t;
    this.fire('timeupdate');
  }
  /** A new src has loaded its metadata. */
  metadata(): void {
    this.readyState = 1;
    this.fire('loadedmetadata');
  }
}

class FakeInstance implements HlsInstance {
  destroyed = false;
  calls: string[] = [];
  constructor(
    readonly url: string,
    readonly startPosition: number,
    readonly on: HlsEvents,
  ) {}
  destroy() {
    this.destroyed = true;
  }
  recoverMediaError() {
    this.calls.push('recoverMediaError');
  }
  swapAudioCodec() {
    this.calls.push('swapAudioCodec');
  }
}

class FakeHls implements HlsLoader, HlsLib {
  instances: FakeInstance[] = [];
  loads = 0;
  mse = true;
  /** undefined until load() settles; then this, or null for "failed or unsupported". */
  state: HlsLib | null | undefined = undefined;
  private pending = deferred<HlsLib | null>();

  loaded() {
    return this.state;
  }
  load() {
    this.loads++;
    return this.pending.promise;
  }
  /** hls.js finishes loading (or fails to, with null). */
  async finish(lib: HlsLib | null = this) {
    this.state = lib;
    this.pending.resolve(lib);
    await flush();
  }
  attach(url: string, startPosition: number, on: HlsEvents): HlsInstance {
    const i = new FakeInstance(url, startPosition, on);
    this.instances.push(i);
    return i;
  }
  get last(): FakeInstance {
    return this.instances[this.instances.length - 1];
  }
}

const STREAM = '/api/tracks/Ab3dEf9Z/stream.m3u8';
const PREVIEW = 'http://s3/preview.ogg?sig=1';

function setup(over: Partial<PlayerDeps> & { loaded?: boolean; gone?: boolean | Error } = {}) {
  const media = new FakeMedia();
  const hls = new FakeHls();
  if (over.loaded) hls.state = hls;
  const clock = { now: 0 };
  const urls: { stream?: string; preview?: string } = { stream: STREAM, preview: PREVIEW };
  const events = { gone: 0, checks: 0 };
  const deps: PlayerDeps = {
    media,
    hls,
    source: () => urls,
    checkGone: () => {
      events.checks++;
      const g = over.gone ?? false;
      return g instanceof Error ? Promise.reject(g) : Promise.resolve(g);
    },
    onGone: () => events.gone++,
    now: () => clock.now,
    ...over,
  };
  const c = new PlayerController(deps);
  const seen: PlayerState[] = [];
  c.subscribe((s) => seen.push(s));
  return { c, media, hls, clock, urls, events, seen };
}

const net = (details: string, fatal: boolean, status?: number): StreamError => ({ type: 'networkError', details, fatal, status });

describe('PlayerController: play, pause, seek, ended', () => {
  it('starts idle; a Play with hls.js loaded attaches it at once and plays within the click', () => {
    const { c, media, hls } = setup({ loaded: true });
    expect(c.state()).toEqual({ phase: 'idle', buffering: false, elapsed: 0, notice: null, error: null });
    c.toggle();
    expect(c.source).toBe('hls.js');
    expect(hls.instances.map((i) => [i.url, i.startPosition])).toEqual([[STREAM, 0]]);
    expect(media.plays).toBe(1);
    expect(c.state()).toMatchObject({ phase: 'playing', buffering: true });
    media.fire('playing');
    expect(c.state()).toMatchObject({ phase: 'playing', buffering: false });
  });

  it('pauses and plays again on the same source; ended, then Play starts over', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    c.toggle();
    expect(media.pauses).toBe(1);
    expect(c.state().phase).toBe('paused');
    c.toggle();
    expect(c.state().phase).toBe('playing');
    media.paused = true;
    media.fire('pause');
    media.fire('ended');
    expect(c.state().phase).toBe('ended');
    c.toggle();
    expect(c.state().phase).toBe('playing');
    expect(hls.instances).toHaveLength(1);
  });

  it('waits for hls.js: shows loading, a second press cancels, a third wants playback again', async () => {
    const { c, media, hls } = setup();
    c.warm();
    expect(hls.loads).toBe(1);
    c.toggle();
    expect(c.state()).toMatchObject({ phase: 'loading', buffering: true });
    expect(media.plays).toBe(0);
    c.toggle();
    expect(c.state()).toMatchObject({ phase: 'idle', buffering: false });
    c.toggle();
    expect(c.state()).toMatchObject({ phase: 'loading', buffering: true });
    await hls.finish();
    expect(c.source).toBe('hls.js');
    expect(media.plays).toBe(1);
    expect(c.state().phase).toBe('playing');
    const loads = hls.loads;
    c.warm(); // nothing left to warm up once a source is attached
    expect(hls.loads).toBe(loads);
  });

  it('attaches but does not play when the listener cancelled while hls.js loaded', async () => {
    const { c, media, hls } = setup();
    c.toggle();
    c.toggle();
    await hls.finish();
    expect(c.source).toBe('hls.js');
    expect(media.plays).toBe(0);
    expect(c.state()).toMatchObject({ phase: 'paused', buffering: false });
  });

  it('seeks before the first Play: the source starts there; after it, the element moves', () => {
    const { c, media, hls } = setup({ loaded: true });
    expect(c.key('ArrowRight', 16)).toBe(true);
    expect(c.key('ArrowRight', 16)).toBe(true);
    expect(c.key('x', 16)).toBe(false);
    expect(c.position).toBe(10);
    expect(c.state().elapsed).toBe(10);
    c.key(' ', 16); // Space plays
    expect(hls.last.startPosition).toBe(10);
    c.seek(3.7);
    expect(media.currentTime).toBe(3.7);
    expect(c.state().elapsed).toBe(3);
    c.key('End', 16);
    expect(media.currentTime).toBe(16);
  });

  it('seeks through seekMedia when given one (the waveform), and follows moves made elsewhere', () => {
    const moves: number[] = [];
    const { c, media } = setup({ seekMedia: (t) => moves.push(t) });
    c.seek(7);
    expect(moves).toEqual([7]);
    expect(media.currentTime).toBe(0);
    c.moved(12.5);
    expect(c.position).toBe(12.5);
    expect(c.state().elapsed).toBe(12);
  });

  it('tells the view only when what it shows changes: whole seconds, not every timeupdate', () => {
    const { c, media, seen } = setup({ loaded: true });
    c.toggle();
    const before = seen.length;
    media.reach(1.1);
    media.reach(1.4);
    media.reach(1.9);
    expect(seen.length - before).toBe(1);
    expect(c.position).toBe(1.9);
    media.reach(2.0);
    expect(seen.at(-1)?.elapsed).toBe(2);
  });

  it('says "Tap Play again" when the browser refuses play(), but not for a pause that came first', async () => {
    const { c, media } = setup({ loaded: true });
    media.refuse = 'NotAllowedError';
    c.toggle();
    await flush();
    expect(c.state()).toMatchObject({ phase: 'paused', buffering: false, notice: REFUSED });
    media.refuse = 'AbortError';
    c.toggle(); // the press clears the notice; an AbortError does not bring it back
    await flush();
    expect(c.state().notice).toBeNull();
    media.refuse = 'NotAllowedError';
    c.toggle();
    await flush();
    media.refuse = null;
    c.toggle();
    expect(c.state()).toMatchObject({ phase: 'playing', notice: null });
  });
});

describe('PlayerController: choosing a source', () => {
  it('uses native HLS where hls.js cannot work (no Media Source Extensions), at the chosen position', () => {
    const { c, media, hls } = setup();
    hls.mse = false;
    media.hlsNative = 'maybe';
    c.seek(20);
    c.toggle();
    expect(hls.loads).toBe(0);
    expect(c.source).toBe('native');
    expect(media.src).toBe(STREAM);
    expect(media.plays).toBe(1);
    media.currentTime = 0;
    media.metadata();
    expect(media.currentTime).toBe(20);
  });

  it('plays the preview when there is no stream, and when hls.js failed to load and native HLS is missing', async () => {
    const a = setup();
    a.urls.stream = undefined;
    a.c.toggle();
    expect(a.hls.loads).toBe(0);
    expect(a.c.source).toBe('preview');
    expect(a.media.src).toBe(PREVIEW);

    const b = setup();
    b.c.toggle();
    await b.hls.finish(null);
    expect(b.c.source).toBe('preview');
    expect(b.media.src).toBe(PREVIEW);
    expect(b.media.plays).toBe(1);
  });

  it('fails with a message when nothing can play', async () => {
    const { c, media, urls } = setup();
    urls.stream = undefined;
    urls.preview = undefined;
    media.refuse = 'NotSupportedError';
    c.toggle();
    await flush();
    expect(c.state()).toMatchObject({ error: FATAL, buffering: false });
  });

  it('never attaches to an element whose player went away while hls.js loaded', async () => {
    const { c, media, hls, seen } = setup();
    c.toggle();
    const n = seen.length;
    c.destroy();
    expect(media.listening()).toBe(0);
    await hls.finish();
    expect(hls.instances).toHaveLength(0);
    expect(media.plays).toBe(0);
    expect(seen).toHaveLength(n);
  });

  it('destroy() detaches the source and stops listening', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    c.destroy();
    expect(hls.last.destroyed).toBe(true);
    expect(media.listening()).toBe(0);
    c.toggle();
    expect(media.plays).toBe(1);

    const n = setup();
    n.hls.mse = false;
    n.media.hlsNative = 'maybe';
    n.c.toggle();
    n.c.destroy();
    expect(n.media.src).toBe('');
  });
});

describe('PlayerController: HLS recovery', () => {
  it('a 403 segment (expired signature) reloads the playlist and resumes where it was', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    media.reach(42);
    hls.last.on.error(net('fragLoadError', false, 403));
    expect(hls.instances).toHaveLength(2);
    expect(hls.instances[0].destroyed).toBe(true);
    expect(hls.last).toMatchObject({ url: STREAM, startPosition: 42, destroyed: false });
    const plays = media.plays;
    media.paused = true; // a new hls.js instance starts from a paused element
    hls.last.on.manifestParsed();
    expect(media.plays).toBe(plays + 1);
    expect(c.state().error).toBeNull();
  });

  it('a reload while paused does not start playback', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    c.toggle();
    hls.last.on.error(net('fragLoadError', true, 403));
    const plays = media.plays;
    hls.last.on.manifestParsed();
    expect(media.plays).toBe(plays);
  });

  it('ignores errors of an instance it has replaced', () => {
    const { c, hls } = setup({ loaded: true });
    c.toggle();
    const old = hls.last;
    old.on.error(net('fragLoadError', true, 403));
    old.on.error(net('fragLoadError', true, 403));
    expect(hls.instances).toHaveLength(2);
  });

  it(`gives up after ${MAX_RELOADS} reloads without getting past the failure: "Playback failed"`, async () => {
    const { c, media, hls, clock, events } = setup({ loaded: true });
    c.toggle();
    for (let i = 0; i < MAX_RELOADS; i++) {
      clock.now = i * 30_000;
      media.reach(30);
      hls.last.on.error(net('fragLoadError', true, 403));
    }
    expect(hls.instances).toHaveLength(MAX_RELOADS + 1);
    hls.last.on.error(net('fragLoadError', true, 403));
    expect(hls.last.destroyed).toBe(true);
    await flush();
    expect(events.checks).toBe(1);
    expect(c.state()).toMatchObject({ error: FATAL, buffering: false });
    expect(events.gone).toBe(0);
  });

  it(`gives up after ${MAX_RELOADS_PER_WINDOW} reloads a minute, even with progress in between`, async () => {
    const { c, media, hls, clock } = setup({ loaded: true });
    c.toggle();
    for (let i = 0; i < MAX_RELOADS_PER_WINDOW; i++) {
      clock.now = i * 1000;
      media.reach(i * 100 + PROGRESS_MARGIN + 1); // well past the last failure: counts start over
      hls.last.on.error(net('fragLoadError', false, 403));
    }
    expect(hls.instances).toHaveLength(MAX_RELOADS_PER_WINDOW + 1);
    clock.now = 59_000;
    media.reach(10_000);
    hls.last.on.error(net('fragLoadError', false, 403));
    expect(hls.instances).toHaveLength(MAX_RELOADS_PER_WINDOW + 1);
    await flush();
    expect(c.state().error).toBe(FATAL);
  });

  it('giving up on a track that was deleted meanwhile says "not found", not "failed"', async () => {
    const { c, hls, events } = setup({ loaded: true, gone: true });
    c.toggle();
    for (let i = 0; i <= MAX_RELOADS; i++) hls.last.on.error(net('levelLoadError', true, 500));
    await flush();
    expect(events.checks).toBe(1);
    expect(events.gone).toBe(1);
    expect(c.state().error).toBeNull();
  });

  it('a failed check while giving up reports the failure', async () => {
    const { c, hls, events } = setup({ loaded: true, gone: new Error('offline') });
    c.toggle();
    for (let i = 0; i <= MAX_RELOADS; i++) hls.last.on.error(net('fragLoadError', true, 403));
    await flush();
    expect(events.gone).toBe(0);
    expect(c.state().error).toBe(FATAL);
  });

  it('a playlist answering 404 means the track is gone: not found at once', () => {
    const { c, hls, events } = setup({ loaded: true });
    c.toggle();
    hls.last.on.error(net('manifestLoadError', true, 404));
    expect(events.gone).toBe(1);
    expect(events.checks).toBe(0);
    expect(hls.last.destroyed).toBe(true);
    hls.last.on.error(net('manifestLoadError', true, 404));
    expect(events.gone).toBe(1);
  });

  it('media errors: recover, then swap the codec, then fall back to the preview at the same place', () => {
    const { c, media, hls, urls } = setup({ loaded: true });
    c.toggle();
    const media1: StreamError = { type: 'mediaError', details: 'bufferAppendError', fatal: true };
    media.reach(8);
    hls.last.on.error(media1);
    expect(hls.last.calls).toEqual(['recoverMediaError']);
    hls.last.on.error(media1);
    expect(hls.last.calls).toEqual(['recoverMediaError', 'swapAudioCodec', 'recoverMediaError']);
    urls.preview = 'http://s3/preview.ogg?sig=2'; // the latest signed URL is the one used
    const plays = media.plays;
    hls.last.on.error(media1);
    expect(hls.last.destroyed).toBe(true);
    expect(c.source).toBe('preview');
    expect(media.src).toBe('http://s3/preview.ogg?sig=2');
    expect(media.plays).toBe(plays + 1);
    media.currentTime = 0;
    media.metadata();
    expect(media.currentTime).toBe(8);
  });

  it('falls back to the preview on other fatal errors', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    hls.last.on.error({ type: 'muxError', details: 'fragParsingError', fatal: true });
    expect(hls.last.destroyed).toBe(true);
    expect(c.source).toBe('preview');
    expect(media.src).toBe(PREVIEW);
  });

  it('leaves non-fatal errors to hls.js', () => {
    const { c, hls } = setup({ loaded: true });
    c.toggle();
    hls.last.on.error(net('fragLoadError', false, 503));
    hls.last.on.error({ type: 'mediaError', details: 'bufferStalledError', fatal: false });
    expect(hls.instances).toHaveLength(1);
    expect(hls.last.calls).toEqual([]);
  });

  it('native HLS: a network error reloads the playlist at the same place; other errors give up', async () => {
    const { c, media, hls, events } = setup({ gone: false });
    hls.mse = false;
    media.hlsNative = 'maybe';
    c.toggle();
    media.metadata();
    media.reach(33);
    media.src = 'stale';
    media.error = { code: 2 };
    media.fire('error');
    expect(media.src).toBe(STREAM);
    media.currentTime = 0;
    media.metadata();
    expect(media.currentTime).toBe(33);
    media.error = { code: 3 }; // MEDIA_ERR_DECODE
    media.fire('error');
    await flush();
    expect(events.checks).toBe(1);
    expect(c.state().error).toBe(FATAL);
    media.fire('error');
    await flush();
    expect(events.checks).toBe(1);
  });
});

describe('PlayerController: reset, the next track on the same element', () => {
  const NEXT = '/api/tracks/Nx7tTrk1/stream.m3u8';

  it('drops the stream and the position; the next Play attaches the new source from the start', () => {
    const { c, media, hls, urls } = setup({ loaded: true });
    c.toggle();
    media.reach(42);
    media.fire('ended');
    expect(c.state().phase).toBe('ended');
    urls.stream = NEXT;
    c.reset();
    expect(hls.last.destroyed).toBe(true);
    expect(c.source).toBeNull();
    expect(c.position).toBe(0);
    expect(c.state()).toEqual({ phase: 'idle', buffering: false, elapsed: 0, notice: null, error: null });
    c.toggle();
    expect(hls.instances.map((i) => [i.url, i.startPosition])).toEqual([
      [STREAM, 0],
      [NEXT, 0],
    ]);
    expect(media.plays).toBe(2);
    expect(c.state().phase).toBe('playing');
  });

  it('pauses what was playing, and a stale error of the old stream changes nothing', () => {
    const { c, media, hls } = setup({ loaded: true });
    c.toggle();
    const old = hls.last;
    c.reset();
    expect(media.paused).toBe(true);
    old.on.error(net('fragLoadError', true, 403));
    expect(hls.instances).toHaveLength(1);
    expect(c.state().phase).toBe('idle');
  });

  it('an hls.js load begun before a reset attaches nothing after it', async () => {
    const { c, media, hls, urls } = setup();
    c.toggle();
    urls.stream = NEXT;
    c.reset();
    await hls.finish();
    expect(hls.instances).toHaveLength(0);
    expect(media.plays).toBe(0);
    expect(c.state().phase).toBe('idle');
    c.toggle();
    expect(hls.instances.map((i) => i.url)).toEqual([NEXT]);
    expect(media.plays).toBe(1);
  });

  it('the preview source is replaced too', () => {
    const { c, media, hls, urls } = setup({ loaded: true });
    hls.state = null;
    urls.stream = undefined;
    c.toggle();
    expect(media.src).toBe(PREVIEW);
    urls.preview = 'http://s3/next.ogg?sig=2';
    c.reset();
    expect(media.src).toBe('');
    c.toggle();
    expect(media.src).toBe('http://s3/next.ogg?sig=2');
    expect(c.source).toBe('preview');
  });
});
