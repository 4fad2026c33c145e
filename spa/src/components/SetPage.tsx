// The set page: the list of a set's tracks and one player that plays through it. Next and
// previous are buttons, keys (N and P, the media keys) and the system's media controls (Media
// Session, which the Player shows); the list's buttons jump to a track, its links open the track's own page. Reading the
// set never slides its tracks' expiry; playing a track does, as on its own page.

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, getTrack, trackTitle, type Track } from '../lib/api';
import { announce, applyTheme } from '../lib/dom';
import { formatTotal } from '../lib/format';
import type { Phase } from '../lib/player';
import { nextPoll, recheckOnVisible } from '../lib/poll';
import { firstPlayable, getSet, playable, setKey, step, totalSeconds, type SetView } from '../lib/sets';
import { Brand, Cover, ShareButton } from './common';
import { Player } from './Player';

type PageState = 'loading' | 'ready' | 'notfound' | 'error';

/** A track's signed URLs (cover, preview, waveform) are re-fetched before playing it after this long. */
export const STALE_URLS_MS = 10 * 60_000;

const pending = (t: Track) => t.status === 'pending' || t.status === 'processing';

/**
 * Loads a set, polls it while some of its tracks still process (backing off, for at most 30
 * minutes), and re-reads it when the page becomes visible after a long time hidden.
 */
function useSet(id: string) {
  const [set, setSet] = useState<SetView | null>(null);
  const [state, setState] = useState<PageState>('loading');
  const [message, setMessage] = useState('');
  const fetchedAt = useRef(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let failures = 0;
    let hiddenAt: number | null = null;
    const startedAt = Date.now();
    const again = () => {
      clearTimeout(timer);
      const d = nextPoll(attempt++, startedAt, Date.now());
      if (!stopped && d !== null) timer = setTimeout(load, d);
    };
    async function load() {
      try {
        const s = await getSet(id);
        if (stopped) return;
        failures = 0;
        fetchedAt.current = Date.now();
        setSet(s);
        setState('ready');
        if (s.tracks.some(pending)) again();
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 404) {
          setState('notfound');
          return;
        }
        if (++failures >= 3) {
          setState((st) => (st === 'loading' ? 'error' : st));
          setMessage(err instanceof Error ? err.message : 'The set could not be loaded.');
        }
        again();
      }
    }
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        hiddenAt ??= Date.now();
        return;
      }
      const was = hiddenAt;
      hiddenAt = null;
      if (recheckOnVisible(was, Date.now())) void load();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [id]);
  return { set, setSet, state, setState, message, fetchedAt };
}

export function SetPage({ id }: { id: string }) {
  const { set, setSet, state, setState, message, fetchedAt } = useSet(id);
  /** The track in the player, by ID (a re-read may drop tracks before it); null until one plays. */
  const [currentId, setCurrentId] = useState<string | null>(null);
  /** The listener pressed Play: the next tracks start by themselves. */
  const [started, setStarted] = useState(false);
  const refreshed = useRef(new Map<string, number>());
  const tracks = set?.tracks ?? [];
  const at = currentId === null ? -1 : tracks.findIndex((t) => t.id === currentId);
  const current = at >= 0 ? at : null;

  // The first playable track, once there is one (tracks may still be processing), and again if
  // a re-read of the set no longer has the one in the player.
  useEffect(() => {
    if (!set || current !== null) return;
    const first = firstPlayable(set.tracks);
    setCurrentId(first === null ? null : set.tracks[first].id);
  }, [set, current]);

  const track = current !== null ? tracks[current] : undefined;

  /** Moves the player to index i, with freshly signed URLs if the ones held are old. */
  const select = useCallback(
    async (i: number) => {
      const t = set?.tracks[i];
      if (!set || !t) return;
      const age = Date.now() - (refreshed.current.get(t.id) ?? fetchedAt.current);
      if (age > STALE_URLS_MS) {
        try {
          // A listen: it slides the track's expiry, as playing it will anyway.
          const fresh = await getTrack(t.id);
          refreshed.current.set(t.id, Date.now());
          setSet((s) => s && { ...s, tracks: s.tracks.map((x) => (x.id === fresh.id ? fresh : x)) });
        } catch {
          // Play with what we have: the stream is signed afresh anyway.
        }
      }
      setCurrentId(t.id);
      announce(`Now playing: ${trackTitle(t)}`);
    },
    [set, setSet, fetchedAt],
  );

  const next = current !== null ? step(tracks, current, 1) : null;
  const previous = current !== null ? step(tracks, current, -1) : null;
  const goNext = useCallback(() => next !== null && void select(next), [next, select]);
  const goPrevious = useCallback(() => previous !== null && void select(previous), [previous, select]);

  const onPhase = useCallback(
    (phase: Phase) => {
      if (phase === 'playing' || phase === 'loading') setStarted(true);
      if (phase === 'ended' && next !== null) void select(next);
    },
    [next, select],
  );

  // A track deleted or expired while the page was open: out of the list, on to the next.
  const onGone = useCallback(() => {
    if (!set || current === null) return;
    const gone = set.tracks[current];
    const rest = set.tracks.filter((t) => t.id !== gone.id);
    if (!rest.length) {
      setState('notfound');
      return;
    }
    setSet({ ...set, tracks: rest });
    const after = step(rest, current - 1, 1) ?? firstPlayable(rest);
    setCurrentId(after === null ? null : rest[after].id);
  }, [set, current, setSet, setState]);

  // Keys anywhere on the page.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const move = setKey(e);
      if (!move) return;
      e.preventDefault();
      if (move === 'next') goNext();
      else goPrevious();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [goNext, goPrevious]);

  // The system's media controls (the Player shows the track): next and previous move through the set.
  const moves = useMemo(() => ({ next: next !== null ? goNext : undefined, previous: previous !== null ? goPrevious : undefined }), [next, previous, goNext, goPrevious]);

  useEffect(() => {
    if (track) applyTheme(track.theme);
  }, [track]);

  useEffect(() => {
    if (state === 'notfound') document.title = 'Set not found · Soundtime';
    else if (set) document.title = `${track && started ? trackTitle(track) + ' · ' : ''}${set.title} · Soundtime`;
  }, [state, set, track, started]);

  let body;
  if (state === 'notfound') {
    body = (
      <div class="notfound">
        <h1 class="title">Set not found</h1>
        <p>This set does not exist, was deleted, or all of its tracks have expired.</p>
        <p>
          <a href="/">Share your own tracks</a>
        </p>
      </div>
    );
  } else if (!set) {
    body = (
      <p class={state === 'error' ? 'error' : 'loading'} role={state === 'error' ? 'alert' : 'status'}>
        {state === 'error' ? message : 'Loading…'}
      </p>
    );
  } else {
    const total = totalSeconds(set.tracks);
    body = (
      <>
        <div class="set-head">
          <h1 class="title">{set.title}</h1>
          <p class="set-summary">
            {set.tracks.length === 1 ? '1 track' : `${set.tracks.length} tracks`}
            {total > 0 && ` · ${formatTotal(total)}`}
          </p>
          <ShareButton url={set.url} title={set.title} />
        </div>
        {track ? (
          <section class="now-playing" aria-label="Now playing">
            <div class="now-head">
              <Cover src={track.cover} title={trackTitle(track)} />
              <div>
                <p class="now-title">
                  <a href={track.url}>{trackTitle(track)}</a>
                </p>
                {track.tags?.artist && <p class="artist">{track.tags.artist}</p>}
                <p class="now-position">
                  Track {current! + 1} of {set.tracks.length}
                </p>
              </div>
            </div>
            <Player track={track} onGone={onGone} autoPlay={started} onPhase={onPhase} album={set.title} moves={moves} />
            <div class="set-controls">
              <button type="button" class="button secondary previous" aria-label="Previous track" aria-keyshortcuts="P" disabled={previous === null} onClick={goPrevious}>
                Previous
              </button>
              <button type="button" class="button secondary next" aria-label="Next track" aria-keyshortcuts="N" disabled={next === null} onClick={goNext}>
                Next
              </button>
            </div>
          </section>
        ) : (
          <p class="processing" role="status">
            <span class="spinner" aria-hidden="true" /> The tracks are still processing… this page updates by itself
          </p>
        )}
        <ol class="set-tracks">
          {set.tracks.map((t, i) => (
            <li key={t.id} class="set-track" data-id={t.id} data-state={t.status} aria-current={i === current ? 'true' : undefined}>
              {/* The name starts with the number it shows (WCAG 2.5.3, label in name). */}
              <button type="button" class="set-play" aria-label={`${i + 1}. Play ${trackTitle(t)}`} disabled={!playable(t)} onClick={() => void select(i)}>
                {i + 1}
              </button>
              <Cover src={t.cover} title={trackTitle(t)} class="set-cover" />
              <a class="set-title" href={t.url}>
                {trackTitle(t)}
              </a>
              {t.tags?.artist && <span class="set-artist">{t.tags.artist}</span>}
              <span class="set-duration">{t.status === 'failed' ? 'failed' : pending(t) ? 'processing' : t.duration !== undefined ? formatTotal(t.duration) : ''}</span>
            </li>
          ))}
        </ol>
      </>
    );
  }
  return (
    <>
      <Brand />
      <main class="set" data-state={state === 'error' ? 'loading' : state} data-current={track?.id}>
        {body}
      </main>
    </>
  );
}
