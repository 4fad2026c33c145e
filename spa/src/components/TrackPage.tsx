// The track page: fetches the track, shows processing until ready, then the player, actions
// and details. A 404 at any time (deleted or expired while open) shows "Track not found".

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, downloadHref, formatName, getConfig, getTrack, trackTitle, type Track } from '../lib/api';
import { applyTheme } from '../lib/dom';
import { fediverseNotice } from '../lib/fediverse';
import { expiresIn, formatBitrate, formatBytes, formatChannels, formatDate, formatSampleRate, formatTotal } from '../lib/format';
import { nextPoll, recheckOnVisible, STILL_PROCESSING } from '../lib/poll';
import { qrCode, type QrDrawing } from '../lib/qr';
import { fragmentTime } from '../lib/timelink';
import { Brand, CopyButton, Cover, EmbedCode, ShareButton } from './common';
import { useManage } from './Manage';
import { Player } from './Player';

export type PageState = 'loading' | 'processing' | 'ready' | 'failed' | 'notfound' | 'error';

/**
 * Loads a track and keeps it current without keeping it alive: every read slides the track's
 * expiry on the server, so there is no periodic re-check once ready. Polls while processing
 * (backing off, for at most 30 minutes). With `recheck` (the track page, not embeds), a ready
 * page re-fetches when it becomes visible after being hidden over 10 minutes, which brings
 * freshly signed URLs and notices a deletion.
 */
export function useTrack(id: string, { recheck = true }: { recheck?: boolean } = {}) {
  const [track, setTrack] = useState<Track | null>(null);
  const [state, setState] = useState<PageState>('loading');
  const [message, setMessage] = useState('');
  /** Polling gave up on a long processing: the page says to reload. */
  const [stale, setStale] = useState(false);
  const stateRef = useRef<PageState>('loading');

  const gone = useCallback(() => {
    stateRef.current = 'notfound';
    setState('notfound');
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let failures = 0;
    let hiddenAt: number | null = document.visibilityState === 'hidden' ? Date.now() : null;
    const startedAt = Date.now();

    /** Polls again after a back-off, or stops (and says so) after 30 minutes. */
    const again = () => {
      clearTimeout(timer);
      if (stopped) return;
      const d = nextPoll(attempt++, startedAt, Date.now());
      if (d === null) {
        if (stateRef.current === 'processing') setStale(true);
        return;
      }
      timer = setTimeout(load, d);
    };
    async function load() {
      try {
        const t = await getTrack(id);
        if (stopped) return;
        failures = 0;
        applyTheme(t.theme);
        const next: PageState = t.status === 'ready' ? 'ready' : t.status === 'failed' ? 'failed' : 'processing';
        // A re-fetch brings freshly signed URLs (preview, cover, waveform): take them. The
        // player stays mounted (same component, new props), so playback is not interrupted.
        setTrack(t);
        stateRef.current = next;
        setState(next);
        if (next === 'failed') setMessage(t.error?.message ?? 'This track could not be processed.');
        if (next === 'processing') again();
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 404) return gone();
        failures++;
        if (stateRef.current === 'loading' && failures >= 3) {
          stateRef.current = 'error';
          setState('error');
          setMessage(err instanceof Error ? err.message : 'The track could not be loaded.');
        }
        // A failed re-check of a ready page is not retried: the page keeps what it has.
        if (stateRef.current !== 'ready') again();
      }
    }
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') {
        hiddenAt ??= Date.now();
        return;
      }
      const wasHidden = hiddenAt;
      hiddenAt = null;
      if (recheck && stateRef.current === 'ready' && recheckOnVisible(wasHidden, Date.now())) void load();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [id, recheck]);

  return { track, state, message, gone, stale };
}

/**
 * The start time the page's link asks for ("#t=1:23"), following later changes of the fragment
 * (a "#t=" link followed on the page itself).
 */
export function useFragmentTime(): number | null {
  const [t, setT] = useState(() => fragmentTime(location.hash));
  useEffect(() => {
    const on = () => setT(fragmentTime(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return t;
}

export function NotFound({ compact }: { compact?: boolean }) {
  return (
    <div class="notfound">
      <h1 class="title">Track not found</h1>
      <p>This track does not exist or has expired.</p>
      <p>
        <a href="/" target={compact ? '_blank' : undefined} rel={compact ? 'noopener' : undefined}>
          Upload a track
        </a>
      </p>
    </div>
  );
}

export function Processing({ stale }: { stale?: boolean }) {
  if (stale) {
    return (
      <p class="processing stale" role="status">
        {STILL_PROCESSING}
      </p>
    );
  }
  return (
    <p class="processing" role="status">
      <span class="spinner" aria-hidden="true" /> Processing… this page updates by itself
    </p>
  );
}

function Details({ track }: { track: Track }) {
  const a = track.audio ?? {};
  const rows: Array<[string, string]> = [['File', track.filename]];
  rows.push(['Format', [formatName(track), a.codec && a.codec.toUpperCase() !== formatName(track).toUpperCase() ? a.codec : ''].filter(Boolean).join(' · ')]);
  if (a.bitrate) rows.push(['Bitrate', formatBitrate(a.bitrate)]);
  if (a.sampleRate) rows.push(['Sample rate', formatSampleRate(a.sampleRate)]);
  if (a.channels) rows.push(['Channels', formatChannels(a.channels)]);
  rows.push(['Size', formatBytes(track.size)]);
  const uploaded = track.uploadedAt ?? track.createdAt;
  if (uploaded) rows.push(['Uploaded', formatDate(uploaded)]);
  return (
    <dl class="details">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The QR code of the track's link, drawn once the encoder has loaded (it loads on first show). */
function QrCode({ url, title }: { url: string; title: string }) {
  const [qr, setQr] = useState<{ url: string; d: QrDrawing } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    qrCode(url).then(
      (d) => live && setQr({ url, d }),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [url]);
  if (failed) return <p class="error">The QR code could not be made; copy the link instead.</p>;
  if (!qr || qr.url !== url) return <p class="loading">Making the QR code…</p>;
  return (
    <figure class="qr">
      <svg class="qr-code" role="img" aria-label={`QR code of the link to ${title}`} viewBox={`0 0 ${qr.d.size} ${qr.d.size}`} data-url={url} shape-rendering="crispEdges">
        <rect width={qr.d.size} height={qr.d.size} fill="#fff" />
        <path d={qr.d.path} fill="#000" />
      </svg>
      <figcaption>Scan it with a phone's camera to open this track there.</figcaption>
    </figure>
  );
}

function Actions({ track }: { track: Track }) {
  const [embedOpen, setEmbedOpen] = useState(false);
  const [qrOpen, setQrOpen] = useState(false);
  const title = trackTitle(track);
  return (
    <div class="actions-block">
      <div class="actions">
        {track.downloadable && track.status === 'ready' && (
          <a class="button download" href={downloadHref(track.id)}>
            Download {formatName(track)} · {formatBytes(track.size)}
          </a>
        )}
        <ShareButton url={track.url} title={title} />
        <button
          type="button"
          class="button secondary qr-toggle"
          aria-expanded={qrOpen ? 'true' : 'false'}
          aria-controls={`qr-panel-${track.id}`}
          onClick={() => setQrOpen(!qrOpen)}
        >
          QR code
        </button>
        <button
          type="button"
          class="button secondary embed-toggle"
          aria-expanded={embedOpen ? 'true' : 'false'}
          aria-controls={`embed-panel-${track.id}`}
          onClick={() => setEmbedOpen(!embedOpen)}
        >
          Embed
        </button>
      </div>
      <div id={`qr-panel-${track.id}`} hidden={!qrOpen}>
        {qrOpen && <QrCode url={track.url} title={title} />}
      </div>
      <div id={`embed-panel-${track.id}`} hidden={!embedOpen}>
        {embedOpen && <EmbedCode url={track.url} id={track.id} title={title} />}
      </div>
    </div>
  );
}

/**
 * The fediverse account that announces public tracks, asked for once the page shows a public
 * track (a private one never asks). Undefined while unknown, and when the config cannot be read
 * or federation is off: the page then shows nothing about the fediverse.
 */
function useFediverseHandle(wanted: boolean): string | undefined {
  const [handle, setHandle] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    // getConfig never rejects (it falls back to defaults, which name no account); the catch is
    // a second guard so that nothing here can break the page.
    getConfig()
      .then((c) => {
        if (live && c.fediverse) setHandle(c.fediverse);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [wanted]);
  return handle;
}

/** "Announced to the fediverse", or "will be announced when ready", with the handle to follow. */
function Fediverse({ track, handle }: { track: Track; handle: string | undefined }) {
  const notice = fediverseNotice(track, handle);
  if (!notice) return null;
  return (
    <div class="fediverse" data-fediverse={notice.kind}>
      <p class="fediverse-status">
        {notice.kind === 'announced' ? 'Announced to the fediverse.' : 'Public: it will be announced to the fediverse once it is ready.'}
      </p>
      <p class="share-row fediverse-follow">
        <span>
          Follow <code class="fediverse-handle">{notice.handle}</code> on Mastodon or any fediverse server to see new public tracks in
          your timeline.
        </span>
        <CopyButton text={notice.handle} label="Copy handle" what="handle" />
      </p>
    </div>
  );
}

export function TrackPage({ id }: { id: string }) {
  const { track, state, message, gone, stale } = useTrack(id);
  const handle = useFediverseHandle(track?.public === true && state !== 'notfound');
  const startAt = useFragmentTime();
  const manage = useManage(id, track, gone);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    if (state === 'notfound') document.title = 'Track not found · Soundtime';
    else if (track) document.title = `${trackTitle(track)}${track.tags?.artist ? ' · ' + track.tags.artist : ''} · Soundtime`;
  }, [state, track]);

  let body;
  if (state === 'notfound') body = <NotFound />;
  else if (state === 'loading' || !track) {
    body =
      state === 'error' ? (
        <p class="error" role="alert">
          {message}
        </p>
      ) : (
        <p class="loading" role="status">
          Loading…
        </p>
      );
  } else {
    const title = trackTitle(track);
    body = (
      <>
        <div class="track-head">
          <Cover src={track.cover} title={title} />
          <div class="track-meta">
            <h1 class="title">{title}</h1>
            {track.tags?.artist && <p class="artist">{track.tags.artist}</p>}
            {track.tags?.album && (
              <p class="album">
                {track.tags.album}
                {track.tags.year ? ` (${track.tags.year})` : ''}
              </p>
            )}
            {track.duration !== undefined && <p class="duration">{formatTotal(track.duration)}</p>}
          </div>
        </div>
        {state === 'processing' && <Processing stale={stale} />}
        {state === 'failed' && (
          <p class="error failed" role="alert">
            {message}
          </p>
        )}
        {/* The same slot while processing and once ready: playback goes on across the change. */}
        {(state === 'ready' || (state === 'processing' && track.playable)) && <Player track={track} onGone={gone} startAt={startAt} />}
        {state === 'ready' && <Actions track={track} />}
        <Fediverse track={track} handle={handle} />
        {track.expiresAt && <p class="expires">{expiresIn(track.expiresAt, now)}</p>}
        {state === 'ready' && <Details track={track} />}
        {manage}
      </>
    );
  }

  return (
    <>
      <Brand />
      <main class="track" data-state={state === 'error' ? 'loading' : state}>
        {body}
      </main>
    </>
  );
}
