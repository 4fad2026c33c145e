// The player shared by the track, embed and set pages: one <audio> element (no source until the
// first Play), a Play/Pause button, elapsed/total time and the waveform, drawn by wavesurfer
// from precomputed peaks and wrapped as a keyboard-operable seek slider; volume and mute
// (remembered), "Copy link at current time", the page's keyboard shortcuts and the system's
// media controls (Media Session). A view: what playback does is lib/player.ts's
// PlayerController; keys, links at a time, volume and Media Session are decided in lib/.

import { useEffect, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import { ApiError, getTrack, trackTitle, type Track } from '../lib/api';
import { cssVar, prefersReducedMotion, withAlpha } from '../lib/dom';
import { formatDuration, formatTotal, positionText } from '../lib/format';
import { metadataOf, showInMediaSession, showPosition, type Metadata } from '../lib/mediasession';
import { flatPeaks, peaksFromAudiowaveform } from '../lib/peaks';
import { INITIAL_STATE, PlayerController, type Phase, type PlayerState } from '../lib/player';
import { playerShortcut, SHORTCUTS } from '../lib/shortcuts';
import { browserHls, localPath } from '../lib/stream';
import { linkAt, startTime } from '../lib/timelink';
import { browserStorage, loadVolume, saveVolume, type VolumePrefs } from '../lib/volume';
import { CopyButton } from './common';
import { LinkIcon, MutedIcon, PauseIcon, PlayIcon, VolumeIcon } from './icons';

interface Props {
  track: Track;
  onGone: () => void;
  /**
   * The set page's play-through: a new track (another id) replaces the old one on the same
   * <audio> element, and plays at once when autoPlay is set (the listener pressed Play before).
   */
  autoPlay?: boolean;
  /** Each phase the playback goes through ("ended": the set page moves on). */
  onPhase?: (phase: Phase) => void;
  /**
   * Where playback starts (seconds), from the link's "#t=": the position moves there at once,
   * and the first Play starts from it.
   */
  startAt?: number | null;
  /** What the system's media controls show as album when the track has no album tag (a set's title). */
  album?: string;
  /** The set page's next and previous, for the system's media controls. */
  moves?: { next?: () => void; previous?: () => void };
}

/** Whether the browser says it would let this page play sound without a gesture (Firefox can tell). */
function autoplayAllowed(): boolean {
  const nav = navigator as Navigator & { getAutoplayPolicy?: (type: string) => string };
  try {
    return typeof nav.getAutoplayPolicy === 'function' && nav.getAutoplayPolicy('mediaelement') === 'allowed';
  } catch {
    return false;
  }
}

/** The cover's pixel size, once it has loaded (the Media Session artwork names it). */
function useImageSize(src: string | undefined): { width: number; height: number } | undefined {
  const [size, setSize] = useState<{ src: string; width: number; height: number } | null>(null);
  useEffect(() => {
    if (!src || typeof Image !== 'function') return;
    let live = true;
    const img = new Image();
    img.onload = () => live && setSize({ src, width: img.naturalWidth, height: img.naturalHeight });
    img.src = src;
    return () => {
      live = false;
    };
  }, [src]);
  return size && size.src === src ? size : undefined;
}

async function loadPeaks(url: string | undefined): Promise<Float32Array> {
  if (!url) return flatPeaks();
  try {
    const res = await fetch(url);
    if (!res.ok) return flatPeaks();
    const peaks = peaksFromAudiowaveform(await res.json());
    return peaks.length ? peaks : flatPeaks();
  } catch {
    return flatPeaks();
  }
}

function colours() {
  const fg = cssVar('--fg', '#1a1a1a');
  const accent = cssVar('--accent', '#c2410c');
  return { waveColor: withAlpha(fg, 0.35), progressColor: accent, cursorColor: fg };
}

export function Player({ track, onGone, autoPlay = false, onPhase, startAt = null, album = '', moves }: Props) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const waveRef = useRef<HTMLDivElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const ctl = useRef<PlayerController | null>(null);
  /** The latest props: a re-fetch brings freshly signed URLs without re-creating the player. */
  const latest = useRef({ track, onGone, autoPlay, onPhase });
  latest.current = { track, onGone, autoPlay, onPhase };
  const [st, setSt] = useState<PlayerState>(INITIAL_STATE);
  const [volume, setVolume] = useState<VolumePrefs>(() => loadVolume(browserStorage()));
  // Until processing has measured it, the duration is what is streamable so far: the element's,
  // which grows with the EVENT playlist.
  const [streamed, setStreamed] = useState(0);
  const known = track.duration !== undefined;
  const duration = track.duration ?? streamed;
  const title = trackTitle(track);

  // The controller lives as long as the <audio> element.
  useEffect(() => {
    const audio = audioRef.current!;
    const c = new PlayerController({
      media: audio,
      hls: browserHls(audio),
      source: () => {
        const t = latest.current.track;
        return { stream: t.stream && localPath(t.stream, location.origin), preview: t.preview };
      },
      checkGone: () =>
        getTrack(latest.current.track.id).then(
          () => false,
          (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 410),
        ),
      onGone: () => latest.current.onGone(),
      now: Date.now,
      // Through wavesurfer when it is there, so that the drawing moves with the element.
      seekMedia: (t) => {
        if (ws.current) ws.current.setTime(t);
        else audio.currentTime = t;
      },
    });
    ctl.current = c;
    setSt(c.state());
    const off = c.subscribe(setSt);

    // The remembered volume, and every change (the slider, M, the mute button) remembered.
    const prefs = loadVolume(browserStorage());
    audio.volume = prefs.volume;
    audio.muted = prefs.muted;
    const onVolume = () => {
      const p = { volume: audio.volume, muted: audio.muted };
      setVolume(p);
      saveVolume(browserStorage(), p);
    };
    audio.addEventListener('volumechange', onVolume);

    // The page's shortcuts: Space, ← and →, M (lib/shortcuts.ts says when a key is one).
    const onKey = (e: KeyboardEvent) => {
      const sc = playerShortcut(e);
      if (!sc) return;
      e.preventDefault();
      if (sc.type === 'toggle') c.toggle();
      else if (sc.type === 'mute') audio.muted = !audio.muted;
      else c.seek(clamp(c.position + sc.seconds, latest.current.track.duration ?? 0));
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      audio.removeEventListener('volumechange', onVolume);
      off();
      c.destroy();
      ctl.current = null;
    };
  }, []);

  // A link to a moment ("#t=1:23"): the position moves there before any Play, and playback
  // starts there by itself only where the browser says it may (else the first Play does).
  const start = startTime(startAt, duration);
  useEffect(() => {
    const c = ctl.current;
    if (!c || start === null) return;
    c.seek(start);
    if (autoplayAllowed() && c.state().phase === 'idle') c.toggle();
  }, [start]);

  // The system's media controls: what plays, and their buttons.
  const size = useImageSize(track.cover);
  const meta: Metadata = metadataOf(track, album, size);
  const metaKey = JSON.stringify(meta);
  const next = moves?.next;
  const previous = moves?.previous;
  useEffect(() => {
    const session = typeof navigator !== 'undefined' ? navigator.mediaSession : undefined;
    const make = typeof MediaMetadata === 'function' ? (m: Metadata) => new MediaMetadata(m) : undefined;
    const live = () => ctl.current?.state().phase;
    return showInMediaSession(session, make, meta, {
      play: () => {
        if (live() !== 'playing' && live() !== 'loading') ctl.current?.toggle();
      },
      pause: () => {
        if (live() === 'playing' || live() === 'loading') ctl.current?.toggle();
      },
      seekTo: (t) => ctl.current?.seek(clamp(t, latest.current.track.duration ?? 0)),
      seekBy: (d) => ctl.current && ctl.current.seek(clamp(ctl.current.position + d, latest.current.track.duration ?? 0)),
      next,
      previous,
    });
    // Keyed by metaKey, which stands for meta (a new object each render).
  }, [metaKey, next, previous]);

  // Another track on the same element: the first render has nothing to replace.
  const shown = useRef(track.id);
  useEffect(() => {
    const c = ctl.current;
    if (!c) return;
    if (shown.current !== track.id) {
      shown.current = track.id;
      c.reset();
      if (latest.current.autoPlay) c.toggle();
    } else if (latest.current.autoPlay && c.state().phase === 'idle') {
      c.toggle();
    }
  }, [track.id]);

  useEffect(() => {
    latest.current.onPhase?.(st.phase);
  }, [st.phase]);

  useEffect(() => {
    const audio = audioRef.current!;
    const grow = () => setStreamed(Number.isFinite(audio.duration) ? audio.duration : 0);
    audio.addEventListener('durationchange', grow);
    return () => audio.removeEventListener('durationchange', grow);
  }, []);

  // Where playback is, for the system's scrubber (it moves on by itself while playing).
  useEffect(() => {
    const session = typeof navigator !== 'undefined' ? navigator.mediaSession : undefined;
    showPosition(session, duration, ctl.current?.position ?? st.elapsed, st.phase === 'playing');
  }, [st.elapsed, st.phase, duration]);

  // The waveform: peaks from the server, never decoded here. While the track processes there are
  // none (a flat line); they fill in once it is ready (its duration is known then).
  useEffect(() => {
    let cancelled = false;
    let mq: MediaQueryList | null = null;
    const recolour = () => ws.current?.setOptions(colours());
    void loadPeaks(latest.current.track.waveform).then((peaks) => {
      if (cancelled || !waveRef.current || !audioRef.current) return;
      try {
        const w = WaveSurfer.create({
          container: waveRef.current,
          media: audioRef.current,
          peaks: [peaks],
          duration: track.duration || 1,
          height: 'auto',
          ...colours(),
          cursorWidth: 1,
          barWidth: 2,
          barGap: 1,
          barRadius: 1,
          interact: true,
          dragToSeek: true,
          autoScroll: false,
          autoCenter: false,
          hideScrollbar: true,
          normalize: true,
        });
        w.on('interaction', (t) => ctl.current?.moved(t));
        ws.current = w;
        // A position chosen before the drawing was ready (a "#t=" link): draw it there. Not
        // sooner: until its peaks are loaded, wavesurfer clamps every time to a duration of 0.
        w.once('ready', () => {
          const at = ctl.current?.position ?? 0;
          if (at > 0) w.setTime(at);
        });
        mq = matchMedia('(prefers-color-scheme: dark)');
        mq.addEventListener('change', recolour);
      } catch {
        // No canvas (very old browser): the slider still seeks by keyboard.
      }
    });
    return () => {
      cancelled = true;
      mq?.removeEventListener('change', recolour);
      ws.current?.destroy();
      ws.current = null;
    };
    // Keyed by the track, not by its (re-signed) waveform URL: the peaks do not change.
  }, [track.id, track.duration]);

  const toggle = () => ctl.current?.toggle();
  const warm = () => ctl.current?.warm();
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (ctl.current?.key(e.key, duration)) e.preventDefault();
  };

  const audioEl = () => audioRef.current;
  const toggleMute = () => {
    const a = audioEl();
    if (a) a.muted = !a.muted;
  };
  const onVolumeInput = (e: Event) => {
    const a = audioEl();
    if (!a) return;
    a.volume = Number((e.currentTarget as HTMLInputElement).value) / 100;
    // Raising the volume of a muted player means to hear it.
    if (a.muted && a.volume > 0) a.muted = false;
  };
  const level = Math.round(volume.volume * 100);

  const playing = st.phase === 'playing';
  // The button offers Pause from the press that asks for playback on.
  const pause = playing || st.phase === 'loading';
  const current = st.elapsed;
  const reduced = prefersReducedMotion();
  return (
    <div class="player" data-playing={playing ? 'true' : 'false'}>
      {/* eslint-disable-next-line jsx-a11y/media-has-caption -- no controls of its own (the
          button and slider are the interface), and an uploaded track comes with no text track
          to offer. */}
      <audio ref={audioRef} preload="none" />
      <button
        type="button"
        class={'play' + (st.buffering && !reduced ? ' busy' : '')}
        aria-label={pause ? 'Pause' : 'Play'}
        aria-keyshortcuts="Space"
        onClick={toggle}
        onPointerDown={warm}
        onMouseEnter={warm}
        onFocus={warm}
      >
        {pause ? <PauseIcon /> : <PlayIcon />}
      </button>
      <div class="player-main">
        <div
          class="waveform"
          role="slider"
          tabIndex={0}
          aria-label={`Seek in ${title}`}
          aria-valuemin={0}
          aria-valuemax={Math.round(duration)}
          aria-valuenow={current}
          aria-valuetext={positionText(current, duration)}
          onKeyDown={onKeyDown}
          onFocus={warm}
        >
          <div class="waveform-canvas" ref={waveRef} />
        </div>
        <div class="player-bar">
          <p class="time">
            <span class="elapsed">{formatDuration(current)}</span> / <span class="total">
              {formatTotal(duration)}
              {!known && <span class="growing"> so far</span>}
            </span>
          </p>
          <div class="volume">
            <button type="button" class="mute" aria-label="Mute" aria-pressed={volume.muted ? 'true' : 'false'} aria-keyshortcuts="M" onClick={toggleMute}>
              {volume.muted ? <MutedIcon /> : <VolumeIcon />}
            </button>
            <input
              type="range"
              class="volume-level"
              min={0}
              max={100}
              step={5}
              value={level}
              aria-label="Volume"
              aria-valuetext={volume.muted ? `${level} %, muted` : `${level} %`}
              onInput={onVolumeInput}
            />
          </div>
          <CopyButton class="copy-at" text={() => linkAt(track.url, ctl.current?.position ?? 0)} label="Copy link at current time" what="link">
            <LinkIcon />
          </CopyButton>
          <details class="shortcuts">
            <summary>Keyboard shortcuts</summary>
            <dl>
              {SHORTCUTS.map(([keys, does]) => (
                <div key={keys}>
                  <dt>
                    <kbd>{keys}</kbd>
                  </dt>
                  <dd>{does}</dd>
                </div>
              ))}
            </dl>
          </details>
        </div>
        {st.error ? (
          <p class="player-error" role="alert">
            {st.error}
          </p>
        ) : (
          st.notice && (
            <p class="player-notice" role="status">
              {st.notice}
            </p>
          )
        )}
      </div>
    </div>
  );
}

/** t kept inside the track (0 to its duration; any t ≥ 0 when the duration is unknown). */
function clamp(t: number, duration: number): number {
  const lo = Math.max(0, t);
  return duration > 0 ? Math.min(duration, lo) : lo;
}
