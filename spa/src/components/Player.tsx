// The player shared by the track and embed pages: one <audio> element (no source until the
// first Play), a Play/Pause button, elapsed/total time and the waveform, drawn by wavesurfer
// from precomputed peaks and wrapped as a keyboard-operable seek slider. A view: what playback
// does is lib/player.ts's PlayerController.

import { useEffect, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import { ApiError, getTrack, type Track } from '../lib/api';
import { cssVar, prefersReducedMotion, withAlpha } from '../lib/dom';
import { formatDuration, formatTotal, positionText } from '../lib/format';
import { flatPeaks, peaksFromAudiowaveform } from '../lib/peaks';
import { INITIAL_STATE, PlayerController, type Phase, type PlayerState } from '../lib/player';
import { browserHls, localPath } from '../lib/stream';
import { PauseIcon, PlayIcon } from './icons';

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

export function Player({ track, onGone, autoPlay = false, onPhase }: Props) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const waveRef = useRef<HTMLDivElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const ctl = useRef<PlayerController | null>(null);
  /** The latest props: a re-fetch brings freshly signed URLs without re-creating the player. */
  const latest = useRef({ track, onGone, autoPlay, onPhase });
  latest.current = { track, onGone, autoPlay, onPhase };
  const [st, setSt] = useState<PlayerState>(INITIAL_STATE);
  // Until processing has measured it, the duration is what is streamable so far: the element's,
  // which grows with the EVENT playlist.
  const [streamed, setStreamed] = useState(0);
  const known = track.duration !== undefined;
  const duration = track.duration ?? streamed;

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
    return () => {
      off();
      c.destroy();
      ctl.current = null;
    };
  }, []);

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
          <span class="elapsed">{formatDuration(current)}</span> / <span class="total">
            {formatTotal(duration)}
            {!known && <span class="growing"> so far</span>}
          </span>
        </p>
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
