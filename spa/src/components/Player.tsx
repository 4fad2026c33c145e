// The player shared by the track and embed pages: one <audio> element (no source until the
// first Play), a Play/Pause button, elapsed/total time and the waveform, drawn by wavesurfer
// from precomputed peaks and wrapped as a keyboard-operable seek slider.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import type { Track } from '../lib/api';
import { cssVar, prefersReducedMotion, withAlpha } from '../lib/dom';
import { formatDuration, formatTotal, positionText } from '../lib/format';
import { flatPeaks, peaksFromAudiowaveform } from '../lib/peaks';
import { seekKey } from '../lib/seek';
import { attachSource, type Source } from '../lib/stream';
import { PauseIcon, PlayIcon } from './icons';

interface Props {
  track: Track;
  onGone(): void;
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
  const position = useRef(0);
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
      ['play', () => setPlaying(true)],
      ['pause', () => setPlaying(false)],
      ['ended', () => setPlaying(false)],
      ['waiting', () => setWaiting(true)],
      ['playing', () => setWaiting(false)],
      ['canplay', () => setWaiting(false)],
      ['timeupdate', onTime],
      ['seeked', onTime],
    ];
    for (const [n, f] of on) audio.addEventListener(n, f);
    return () => {
      for (const [n, f] of on) audio.removeEventListener(n, f);
      source.current?.destroy();
    };
  }, []);

  // The waveform: peaks from the server, never decoded here.
  useEffect(() => {
    let cancelled = false;
    let mq: MediaQueryList | null = null;
    const recolour = () => ws.current?.setOptions(colours());
    loadPeaks(track.waveform).then((peaks) => {
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
  }, [track.waveform, duration]);

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

  const toggle = useCallback(async () => {
    const audio = audioRef.current!;
    if (!source.current) {
      if (attaching.current) return; // already on its way
      setWaiting(true);
      attaching.current = attachSource(audio, {
        stream: track.stream,
        preview: track.preview,
        startAt: position.current,
        onGone,
        onFatal: (m) => {
          setError(m);
          setWaiting(false);
        },
      });
      try {
        source.current = await attaching.current;
      } finally {
        attaching.current = null;
      }
      audio.play().catch(() => setWaiting(false));
      return;
    }
    if (audio.paused) audio.play().catch(() => {});
    else audio.pause();
  }, [track.stream, track.preview, onGone]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const a = seekKey(e.key, position.current, duration);
    if (!a) return;
    e.preventDefault();
    if (a.type === 'toggle') void toggle();
    else seekTo(a.time);
  };

  const reduced = prefersReducedMotion();
  return (
    <div class="player" data-playing={playing ? 'true' : 'false'}>
      <audio ref={audioRef} preload="none" />
      <button
        type="button"
        class={'play' + (waiting && !reduced ? ' busy' : '')}
        aria-label={playing ? 'Pause' : 'Play'}
        onClick={() => void toggle()}
      >
        {playing ? <PauseIcon /> : <PlayIcon />}
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
        >
          <div class="waveform-canvas" ref={waveRef} />
        </div>
        <p class="time">
          <span class="elapsed">{formatDuration(current)}</span> / <span class="total">{formatTotal(duration)}</span>
        </p>
        {error && (
          <p class="player-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
