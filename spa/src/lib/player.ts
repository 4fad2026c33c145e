// The player's playback state machine, shared by the track and embed pages. It owns what the
// Play button and the time show (idle → loading → playing ⇄ paused → ended, buffering, a notice,
// a fatal error), which source the <audio> element gets on the first Play (hls.js, native HLS,
// the Ogg preview), and what happens when HLS fails: reload the playlist (recovery.ts decides),
// recover a media error, fall back to the preview, or give up, saying "not found" when the track
// was deleted. Everything that touches the browser is behind Media and HlsLoader (stream.ts has
// the browser's), and the clock is a field, so that tests drive it all with fakes.

import { decideRecovery, initialRecovery, progressed, type RecoveryState, type StreamError } from './recovery';
import { seekKey } from './seek';

/**
 * What the controller uses of the <audio> element; an HTMLAudioElement is one. Events it
 * listens to: play, pause, ended, waiting, playing, canplay, timeupdate, seeked, loadedmetadata,
 * error.
 */
export interface Media {
  currentTime: number;
  readonly paused: boolean;
  readonly readyState: number;
  readonly error: { readonly code: number } | null;
  src: string;
  play(): Promise<void>;
  pause(): void;
  removeAttribute(name: 'src'): void;
  canPlayType(type: string): string;
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** What hls.js reports to the controller about one attached stream. */
export interface HlsEvents {
  error(e: StreamError): void;
  manifestParsed(): void;
}

/** One hls.js instance, attached to the media element. */
export interface HlsInstance {
  destroy(): void;
  recoverMediaError(): void;
  swapAudioCodec(): void;
}

/** hls.js, loaded and able to work here. */
export interface HlsLib {
  /** A new instance playing url on the media element from startPosition (seconds; 0 = the start). */
  attach(url: string, startPosition: number, on: HlsEvents): HlsInstance;
}

/** Loads hls.js on demand (a dynamic import in the browser). */
export interface HlsLoader {
  /** hls.js if loaded already; null when it failed to load or cannot work here; undefined while not (yet) loaded. */
  loaded(): HlsLib | null | undefined;
  /** Loads hls.js (once); resolves null when it failed to load or cannot work here. */
  load(): Promise<HlsLib | null>;
  /** Whether Media Source Extensions exist at all; hls.js cannot work without them. */
  readonly mse: boolean;
}

export interface PlayerDeps {
  media: Media;
  hls: HlsLoader;
  /** The track's URLs, read when needed: a re-fetched track brings freshly signed ones. */
  source(): { stream?: string; preview?: string };
  /** Asks the API whether the track still exists; resolves true when it is gone. */
  checkGone(): Promise<boolean>;
  /** The track is gone (deleted or expired): the page shows "not found". */
  onGone(): void;
  /** Wall-clock milliseconds, for the cap on reloads per minute. */
  now(): number;
  /** Moves playback to t; by default media.currentTime = t (the page's moves its waveform too). */
  seekMedia?(t: number): void;
}

export type Phase =
  | 'idle' // nothing attached yet, and the listener does not want playback
  | 'loading' // Play was pressed: the source is being attached or playback is starting
  | 'playing'
  | 'paused'
  | 'ended';

export interface PlayerState {
  phase: Phase;
  /** Waiting for data: the Play button shows it. */
  buffering: boolean;
  /** Whole seconds of the position, as the time and the slider show it. */
  elapsed: number;
  /** A hint for the listener, such as play() refused outside a gesture; cleared by the next press or start. */
  notice: string | null;
  /** Playback cannot go on; for people. */
  error: string | null;
}

export type SourceKind = 'hls.js' | 'native' | 'preview';

export const FATAL = 'Playback failed. Reload the page to try again.';
export const REFUSED = 'Tap Play again to start';
/** MediaError.MEDIA_ERR_NETWORK: with native HLS, most likely expired segment signatures. */
const MEDIA_ERR_NETWORK = 2;
/** HTMLMediaElement.HAVE_METADATA: the element knows the duration and can seek. */
const HAVE_METADATA = 1;

export const INITIAL_STATE: PlayerState = { phase: 'idle', buffering: false, elapsed: 0, notice: null, error: null };

const isAbort = (err: unknown) => typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
const ignore = () => {};

export class PlayerController {
  private s: PlayerState = INITIAL_STATE;
  private listeners = new Set<(s: PlayerState) => void>();
  /** The exact position (seconds): where a first Play starts, and what the keys step from. */
  private pos = 0;
  private kind: SourceKind | null = null;
  /** While hls.js loads: whether the listener still wants playback (a second press cancels). */
  private attaching = false;
  private wantPlay = false;
  private destroyed = false;
  /** Counts reset(): an hls.js load that began before one attaches nothing after it. */
  private epoch = 0;
  private recovery: RecoveryState = initialRecovery();
  // The HLS source: the stream's URL and the current hls.js instance (a reload makes a new one;
  // events of an older one carry an older generation and are ignored).
  private url = '';
  private inst: HlsInstance | null = null;
  private gen = 0;
  /** Native HLS gave up: later errors are not handled again. */
  private nativeDone = false;
  /** A start position to apply once the element knows its duration. */
  private startAt: number | null = null;
  private readonly off: Array<() => void> = [];

  constructor(private readonly d: PlayerDeps) {
    const m = d.media;
    const on = (type: string, fn: () => void) => {
      m.addEventListener(type, fn);
      this.off.push(() => m.removeEventListener(type, fn));
    };
    on('play', () => this.set({ phase: 'playing', notice: null }));
    on('pause', () => this.set({ phase: 'paused' }));
    on('ended', () => this.set({ phase: 'ended' }));
    on('waiting', () => this.set({ buffering: true }));
    on('playing', () => this.set({ buffering: false }));
    on('canplay', () => this.set({ buffering: false }));
    on('timeupdate', () => {
      this.tick();
      // Counts start over only once playback is clearly past the failing position (recovery.ts).
      this.recovery = progressed(this.recovery, m.currentTime);
    });
    on('seeked', () => this.tick());
    on('loadedmetadata', () => this.applyStart());
    on('error', () => this.nativeError());
  }

  state(): PlayerState {
    return this.s;
  }

  /** The exact position in seconds. */
  get position(): number {
    return this.pos;
  }

  /** Which source the first Play attached; null before. */
  get source(): SourceKind | null {
    return this.kind;
  }

  subscribe(fn: (s: PlayerState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The Play/Pause button. The first press attaches a source, synchronously when possible so
   * that play() stays inside the click (iOS needs that), else once hls.js has loaded.
   */
  toggle(): void {
    if (this.destroyed) return;
    this.set({ notice: null });
    const m = this.d.media;
    if (this.kind) {
      if (m.paused) this.start();
      else m.pause();
      return;
    }
    if (this.attaching) {
      // Pressed again while hls.js loads: a Pause wins (and a further press wants playback again).
      this.wantPlay = !this.wantPlay;
      this.set({ phase: this.wantPlay ? 'loading' : 'idle', buffering: this.wantPlay });
      return;
    }
    const { stream } = this.d.source();
    const loaded = this.d.hls.loaded();
    if (!stream || loaded !== undefined || !this.d.hls.mse) {
      this.choose(loaded ?? null);
      this.set({ phase: 'loading', buffering: true });
      this.start();
      return;
    }
    this.attaching = true;
    this.wantPlay = true;
    this.set({ phase: 'loading', buffering: true });
    const epoch = this.epoch;
    void this.d.hls.load().then((lib) => {
      // Another track was loaded meanwhile (reset): its own Play decides.
      if (epoch !== this.epoch) return;
      this.attaching = false;
      // The player went away while hls.js loaded: nothing may play on a detached element.
      if (this.destroyed) return;
      this.choose(lib);
      if (this.wantPlay) this.start();
      else this.set({ phase: 'paused', buffering: false });
    });
  }

  /** Moves playback to t (seconds); before the first Play, that is where it will start. */
  seek(t: number): void {
    if (this.destroyed) return;
    this.pos = t;
    if (this.d.seekMedia) this.d.seekMedia(t);
    else this.d.media.currentTime = t;
    this.set({ elapsed: Math.floor(t) });
  }

  /** Playback was moved to t by someone else (a click or drag on the waveform). */
  moved(t: number): void {
    this.pos = t;
    this.set({ elapsed: Math.floor(t) });
  }

  /** A key pressed on the seek slider; returns whether it was one of the slider's. */
  key(key: string, duration: number): boolean {
    const a = seekKey(key, this.pos, duration);
    if (!a) return false;
    if (a.type === 'toggle') this.toggle();
    else this.seek(a.time);
    return true;
  }

  /** Starts loading hls.js before the click (pointer or focus on the controls), so that playback usually starts within it. */
  warm(): void {
    if (!this.destroyed && !this.kind && this.d.source().stream) void this.d.hls.load();
  }

  /**
   * Forgets the current track on the same element, so that the next Play attaches what
   * source() gives then: a play-through moves to the next track this way. The element stays,
   * and with it the permission to play that a first press gave (a new element would need a new
   * gesture on iOS).
   */
  reset(): void {
    if (this.destroyed) return;
    this.epoch++;
    this.inst?.destroy();
    this.inst = null;
    this.gen++;
    const m = this.d.media;
    if (!m.paused) m.pause();
    if (this.kind === 'native' || this.kind === 'preview' || this.kind === 'hls.js') m.removeAttribute('src');
    this.kind = null;
    this.url = '';
    this.pos = 0;
    this.attaching = false;
    this.wantPlay = false;
    this.nativeDone = false;
    this.startAt = null;
    this.recovery = initialRecovery();
    this.set(INITIAL_STATE);
  }

  /** Detaches everything; the controller is done. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const f of this.off) f();
    this.listeners.clear();
    this.inst?.destroy();
    this.inst = null;
    if (this.kind === 'native' || this.kind === 'preview') this.d.media.removeAttribute('src');
  }

  // -------------------------------------------------------------------------------------------

  private set(patch: Partial<PlayerState>): void {
    const next = { ...this.s, ...patch };
    if ((Object.keys(patch) as Array<keyof PlayerState>).every((k) => next[k] === this.s[k])) return;
    this.s = next;
    for (const fn of this.listeners) fn(next);
  }

  private tick(): void {
    const t = this.d.media.currentTime;
    this.pos = t;
    this.set({ elapsed: Math.floor(t) });
  }

  /** play(), saying so when the browser refuses it (outside a user gesture, on iOS say). */
  private start(): void {
    this.d.media.play().catch((err: unknown) => {
      if (this.destroyed) return;
      // An AbortError only means a pause (or a new source) came first.
      const notice = isAbort(err) ? this.s.notice : REFUSED;
      this.set({ buffering: false, notice, phase: this.s.phase === 'loading' ? 'paused' : this.s.phase });
    });
  }

  /** hls.js where it works; native HLS elsewhere (Safari); the Ogg preview as a last resort. */
  private choose(lib: HlsLib | null): void {
    const { stream } = this.d.source();
    const m = this.d.media;
    if (stream && lib) {
      // Chromium answers "maybe" for HLS without playing it well: hls.js is asked first.
      this.kind = 'hls.js';
      this.url = stream;
      this.attachHls(lib, this.pos, false);
    } else if (stream && m.canPlayType('application/vnd.apple.mpegurl')) {
      this.kind = 'native';
      this.url = stream;
      m.src = stream;
      this.seekWhenReady(this.pos);
    } else {
      this.kind = 'preview';
      this.usePreview(this.pos);
    }
  }

  private attachHls(lib: HlsLib, startPosition: number, resume: boolean): void {
    const gen = ++this.gen;
    let inst: HlsInstance | null = null;
    const current = () => gen === this.gen && !this.destroyed;
    inst = lib.attach(this.url, startPosition, {
      error: (e) => {
        if (inst && current()) this.hlsError(lib, inst, e);
      },
      manifestParsed: () => {
        if (resume && current()) this.d.media.play().catch(ignore);
      },
    });
    this.inst = inst;
  }

  private hlsError(lib: HlsLib, inst: HlsInstance, e: StreamError): void {
    const m = this.d.media;
    const d = decideRecovery(this.recovery, e, { position: m.currentTime, now: this.d.now() });
    this.recovery = d.state;
    switch (d.action) {
      case 'reload': {
        // Re-fetching the playlist re-signs every segment URL; resume where we were.
        const t = m.currentTime;
        const playing = !m.paused;
        this.dropHls();
        this.attachHls(lib, t, playing);
        break;
      }
      case 'recoverMedia':
        inst.recoverMediaError();
        break;
      case 'swapCodecAndRecover':
        inst.swapAudioCodec();
        inst.recoverMediaError();
        break;
      case 'fallback': {
        const t = m.currentTime;
        this.dropHls();
        this.kind = 'preview';
        this.usePreview(t);
        m.play().catch(ignore);
        break;
      }
      case 'gone':
        this.dropHls();
        this.d.onGone();
        break;
      case 'fail':
        this.dropHls();
        this.giveUp();
        break;
      case 'none':
        break;
    }
  }

  private dropHls(): void {
    this.inst?.destroy();
    this.inst = null;
    this.gen++;
  }

  /** An error event of the element: handled for native HLS only (hls.js reports its own). */
  private nativeError(): void {
    if (this.kind !== 'native' || this.nativeDone || this.destroyed) return;
    const m = this.d.media;
    const d =
      m.error?.code === MEDIA_ERR_NETWORK
        ? decideRecovery(this.recovery, { fatal: true, type: 'networkError', details: 'fragLoadError' }, { position: m.currentTime, now: this.d.now() })
        : { action: 'fail' as const, state: this.recovery };
    this.recovery = d.state;
    if (d.action === 'reload') {
      const t = m.currentTime;
      m.src = this.url;
      this.seekWhenReady(t);
      m.play().catch(ignore);
    } else {
      this.nativeDone = true;
      this.giveUp();
    }
  }

  private usePreview(at: number): void {
    const { preview } = this.d.source();
    if (!preview) {
      this.fail();
      return;
    }
    this.d.media.src = preview;
    this.seekWhenReady(at);
  }

  /** Before failing: a deleted track is reported as such, not as a playback failure. */
  private giveUp(): void {
    void this.d
      .checkGone()
      .catch(() => false)
      .then((gone) => {
        if (this.destroyed) return;
        if (gone) this.d.onGone();
        else this.fail();
      });
  }

  private fail(): void {
    this.set({ error: FATAL, buffering: false });
  }

  /** Applies a start position once the element knows its duration (a new src resets it to 0). */
  private seekWhenReady(t: number): void {
    this.startAt = t > 0 ? t : null;
    if (this.d.media.readyState >= HAVE_METADATA) this.applyStart();
  }

  private applyStart(): void {
    const t = this.startAt;
    if (t === null) return;
    this.startAt = null;
    const m = this.d.media;
    if (Math.abs(m.currentTime - t) > 0.5) m.currentTime = t;
  }
}
