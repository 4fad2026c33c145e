// The player shared by the track and embed pages: one <audio> element (no source until the
// first Play), a Play/Pause button, elapsed/total time and the waveform, drawn by wavesurfer
// from precomputed peaks and wrapped as a keyboard-operable seek slider.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import { ApiError, getTrack, type Track } from '../lib/api';
import { cssVar, prefersReducedMotion, withAlpha } from '../lib/dom';
import { formatDuration, formatTotal, positionText } from '../lib/format';
import { flatPeaks, peaksFromAudiowaveform } from '../lib/peaks';
import { seekKey } from '../lib/seek';
import { attachSource, attachSourceNow, loadHls, type Source, type SourceOptions } from '../lib/stream';
import { PauseIcon, PlayIcon } from './icons';

interface Props {
  track: Track;
  onGone: () => void;
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

export function Player({ track, onGone }: Props) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const waveRef = useRef<HTMLDivElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const source = useRef<Source | null>(null);
  const attaching = useRef<Promise<Source> | null>(null);
  /** While hls.js loads: whether the listener still wants playback (a second press cancels). */
  const wantPlay = useRef(false);
  const unmounted = useRef(false);
  /** The latest track: a re-fetch brings freshly signed URLs without re-creating the player. */
  const latest = useRef(track);
  latest.current = track;
  const position = useRef(0);
  const [pending, setPending] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const [current, setCurrent] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const duration = track.duration ?? 0;

  // Audio element events drive the UI state.
  useEffect(() => {
    const audio = audioRef.current!;
    const onTime = () => {
      position.current = audio.currentTime;
      setCurrent(Math.floor(audio.currentTime));
    };
    const on: Array<[string, () => void]> = [
      [
        'play',
        () => {
          setPlaying(true);
          setNotice(null);
        },
      ],
      ['pause', () => setPlaying(false)],
      ['ended', () => setPlaying(false)],
      ['waiting', () => setWaiting(true)],
      ['playing', () => setWaiting(false)],
      ['canplay', () => setWaiting(false)],
      ['timeupdate', onTime],
      ['seeked', onTime],
    ];
    for (const [n, f] of on) audio.addEventListener(n, f);
    unmounted.current = false;
    return () => {
      unmounted.current = true;
      for (const [n, f] of on) audio.removeEventListener(n, f);
      source.current?.destroy();
      source.current = null;
    };
  }, []);

  // The waveform: peaks from the server, never decoded here.
  useEffect(() => {
    let cancelled = false;
    let mq: MediaQueryList | null = null;
    const recolour = () => ws.current?.setOptions(colours());
    void loadPeaks(latest.current.waveform).then((peaks) => {
      if (cancelled || !waveRef.current || !audioRef.current) return;
      try {
        const w = WaveSurfer.create({
          container: waveRef.current,
          media: audioRef.current,
          peaks: [peaks],
          duration: duration || 1,
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
        w.on('interaction', (t) => {
          position.current = t;
          setCurrent(Math.floor(t));
        });
        ws.current = w;
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
  }, [track.id, duration]);

  const seekTo = useCallback(
    (t: number) => {
      const audio = audioRef.current!;
      position.current = t;
      if (ws.current) ws.current.setTime(t);
      else audio.currentTime = t;
      setCurrent(Math.floor(t));
    },
    [],
  );

  /** play(), saying so when the browser refuses it (outside a user gesture, on iOS say). */
  const start = useCallback((audio: HTMLAudioElement) => {
    audio.play().catch((err: unknown) => {
      setWaiting(false);
      // An AbortError only means a pause (or a new source) came first.
      if (!unmounted.current && !(err instanceof DOMException && err.name === 'AbortError')) setNotice('Tap Play again to start');
    });
  }, []);

  const toggle = useCallback(() => {
    const audio = audioRef.current!;
    setNotice(null);
    if (source.current) {
      if (audio.paused) start(audio);
      else audio.pause();
      return;
    }
    if (attaching.current) {
      // Pressed again while hls.js loads: a Pause wins (and a further press wants playback again).
      wantPlay.current = !wantPlay.current;
      setPending(wantPlay.current);
      setWaiting(wantPlay.current);
      return;
    }
    const opts: SourceOptions = {
      stream: track.stream,
      // Read when needed (a fallback much later): the latest signed URL, not the first one.
      get preview() {
        return latest.current.preview;
      },
      startAt: position.current,
      onGone,
      checkGone: () =>
        getTrack(latest.current.id).then(
          () => false,
          (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 410),
        ),
      onFatal: (m) => {
        setError(m);
        setWaiting(false);
      },
    };
    // Synchronously when possible, so that play() stays inside the click (iOS needs that).
    const now = attachSourceNow(audio, opts);
    if (now) {
      source.current = now;
      setWaiting(true);
      start(audio);
      return;
    }
    wantPlay.current = true;
    setPending(true);
    setWaiting(true);
    const p = attachSource(audio, opts);
    attaching.current = p;
    void p.then((s) => {
      attaching.current = null;
      if (unmounted.current) {
        // The player went away while hls.js loaded: nothing may play on a detached element.
        s.destroy();
        return;
      }
      source.current = s;
      setPending(false);
      if (wantPlay.current) start(audio);
      else setWaiting(false);
    });
  }, [track.stream, onGone, start]);

  /** Starts loading hls.js before the click, so that playback usually starts within it. */
  const warm = () => {
    if (track.stream && !source.current) void loadHls();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const a = seekKey(e.key, position.current, duration);
    if (!a) return;
    e.preventDefault();
    if (a.type === 'toggle') toggle();
    else seekTo(a.time);
  };

  const reduced = prefersReducedMotion();
  return (
    <div class="player" data-playing={playing ? 'true' : 'false'}>
      {/* eslint-disable-next-line jsx-a11y/media-has-caption -- no controls of its own (the
          button and slider are the interface), and an uploaded track comes with no text track
          to offer. */}
      <audio ref={audioRef} preload="none" />
      <button
        type="button"
        class={'play' + (waiting && !reduced ? ' busy' : '')}
        aria-label={playing || pending ? 'Pause' : 'Play'}
        onClick={toggle}
        onPointerDown={warm}
        onMouseEnter={warm}
        onFocus={warm}
      >
        {playing || pending ? <PauseIcon /> : <PlayIcon />}
      </button>
      <div class="player-main">
        <div
          class="waveform"
          role="slider"
          tabIndex={0}
          aria-label="Seek"
          aria-valuemin={0}
          aria-valuemax={Math.round(duration)}
          aria-valuenow={current}
          aria-valuetext={positionText(current, duration)}
          onKeyDown={onKeyDown}
          onFocus={warm}
        >
          <div class="waveform-canvas" ref={waveRef} />
        </div>
        <p class="time">
          <span class="elapsed">{formatDuration(current)}</span> / <span class="total">{formatTotal(duration)}</span>
        </p>
        {error ? (
          <p class="player-error" role="alert">
            {error}
          </p>
        ) : (
          notice && (
            <p class="player-notice" role="status">
              {notice}
            </p>
          )
        )}
      </div>
    </div>
  );
}
