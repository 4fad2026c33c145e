// The upload page: drop or choose files, watch them hash, upload and process, share the link.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, DEFAULT_CONFIG, deleteTrack, getConfig, trackTitle, type Config } from '../lib/api';
import { announce } from '../lib/dom';
import { publicOption } from '../lib/fediverse';
import { formatBytes, formatDuration, formatSpeed, percent } from '../lib/format';
import { formatTimeLeft, UploadQueue, type UploadItem } from '../lib/queue';
import { browserStorage, manageLink, TokenStore, type StoredUpload } from '../lib/store';
import { exportTokens, MAX_IMPORT_BYTES, parseImport } from '../lib/tokenfile';
import { browserTransport } from '../lib/transport';
import { Brand, CopyButton, EmbedCode } from './common';
import { MakeSet } from './MakeSet';

const ACCEPT = 'audio/*,.mp3,.ogg,.oga,.opus,.flac,.wav,.m4a,.mp4,.aac,.webm,.weba,.aif,.aiff,.aifc';

function StatusLine({ item }: { item: UploadItem }) {
  switch (item.state) {
    case 'queued':
      return <p class="status">Waiting…</p>;
    case 'refused':
      return <p class="status reason">Not uploaded: {item.message}</p>;
    case 'hashing':
      return <p class="status">Hashing {percent(item.progress, 1)} %</p>;
    case 'uploading': {
      const left = formatTimeLeft(item.eta);
      return (
        <p class="status">
          {percent(item.progress, 1)} %{item.speed !== undefined ? ` · ${formatSpeed(item.speed)}` : ''}
          {left ? ` · ${left}` : ''}
          {item.resumedParts ? ` · resumed: ${item.resumedParts} ${item.resumedParts === 1 ? 'part was' : 'parts were'} already stored` : ''}
        </p>
      );
    }
    case 'paused':
      return <p class="status">Paused at {percent(item.progress, 1)} %</p>;
    case 'processing':
      return (
        <p class="status">
          <span class="spinner" aria-hidden="true" /> Uploaded. Processing…
        </p>
      );
    case 'ready':
      return (
        <p class="status ready-nudge">
          Ready{item.track?.duration ? ` · ${formatDuration(item.track.duration)}` : ''}. Share the link: it now shows the
          title, picture and player wherever you paste it.
        </p>
      );
    case 'failed':
      return <p class="status reason">Processing failed: {item.message}</p>;
    case 'cancelled':
      return <p class="status">Cancelled</p>;
    case 'error':
      return <p class="status reason">{item.message}</p>;
  }
}

interface RowActions {
  onCancel: () => void;
  onPause: () => void;
  onResume: () => void;
  onRetry: () => void;
}

/** An upload whose bytes are not all stored yet: leaving the page would stop it. */
const inFlight = (i: UploadItem) => i.state === 'queued' || i.state === 'hashing' || i.state === 'uploading' || i.state === 'paused';

/** Who can listen, said plainly next to the share link. */
function Audience({ isPublic }: { isPublic: boolean }) {
  return (
    <p class="audience">
      <strong>Anyone with the link can listen.</strong>{' '}
      {isPublic
        ? 'It is public: it is announced to the fediverse, and search engines may list its page.'
        : 'It is private: it is not announced anywhere and search engines do not list it, so only people you give the link to can find it.'}
    </p>
  );
}

function UploadRow({ item, onCancel, onPause, onResume, onRetry }: { item: UploadItem } & RowActions) {
  const busy = inFlight(item);
  const c = item.created;
  const shared = c && (item.state === 'processing' || item.state === 'ready' || item.state === 'failed');
  const title = item.track ? trackTitle(item.track) : item.name;
  const row = useRef<HTMLLIElement>(null);
  const link = useRef<HTMLAnchorElement>(null);
  // Once ready, the share link takes the focus, unless the visitor is busy elsewhere on the page.
  const wasReady = useRef(item.state === 'ready');
  useEffect(() => {
    if (item.state !== 'ready' || wasReady.current) return;
    wasReady.current = true;
    const active = document.activeElement;
    const idle = !active || active === document.body || active.matches('input[type=file]') || row.current?.contains(active);
    if (idle) link.current?.focus();
  }, [item.state]);
  return (
    // Focusable so that focus has somewhere to go when its Cancel button disappears.
    <li class="upload" data-state={item.state} tabIndex={-1} ref={row}>
      <div class="upload-head">
        <span class="name">{item.name}</span>
        <span class="size">{formatBytes(item.size)}</span>
      </div>
      <StatusLine item={item} />
      {(item.state === 'hashing' || item.state === 'uploading' || item.state === 'paused') && (
        <progress max={100} value={percent(item.progress, 1)} aria-label={`${item.state === 'hashing' ? 'Hashing' : 'Uploading'} ${item.name}`} />
      )}
      {item.multipart && item.state === 'uploading' && item.created && (
        <button type="button" class="button secondary pause" aria-label={`Pause upload of ${item.name}`} onClick={onPause}>
          Pause
        </button>
      )}
      {item.state === 'paused' && (
        <button type="button" class="button primary resume" aria-label={`Resume upload of ${item.name}`} onClick={onResume}>
          Resume
        </button>
      )}
      {item.state === 'error' && (item.resumable || item.retryable) && (
        <button type="button" class="button primary retry" aria-label={`Retry upload of ${item.name}`} onClick={onRetry}>
          Retry
        </button>
      )}
      {busy && (
        <button
          type="button"
          class="button secondary cancel"
          aria-label={`Cancel upload of ${item.name}`}
          onClick={() => {
            onCancel();
            row.current?.focus();
          }}
        >
          Cancel
        </button>
      )}
      {shared && c && (
        <div class="share">
          <p class="share-row">
            <a class="share-link" href={c.url} ref={link}>
              {c.url}
            </a>
            <CopyButton text={c.url} label="Copy link" what="link" />
          </p>
          <Audience isPublic={item.options.public} />
          {item.state !== 'failed' && <EmbedCode url={c.url} id={c.id} title={title} />}
          <p class="token-note">
            Delete token: <code class="delete-token">{c.deleteToken}</code>
            <br />
            Keep it to delete this track later. It is shown only once, and is also kept in this browser.
          </p>
          <p class="share-row manage-row">
            <a class="manage-link" href={manageLink(c.url, c.deleteToken)}>
              Private manage link
            </a>
            <CopyButton text={manageLink(c.url, c.deleteToken)} label="Copy manage link" what="manage link" />
          </p>
          <p class="token-note">Open the manage link on another device to delete the track there. Whoever has it can delete the track: keep it to yourself.</p>
        </div>
      )}
    </li>
  );
}

function MyUploads({ entries, shown, onDelete }: { entries: StoredUpload[]; shown: boolean; onDelete: (e: StoredUpload) => void }) {
  if (!entries.length && !shown) return null;
  return (
    <section class="mine" aria-labelledby="mine-heading">
      {/* Focusable: focus lands here when the last entry is deleted. */}
      <h2 id="mine-heading" tabIndex={-1}>
        Uploaded from this browser
      </h2>
      {!entries.length && <p class="mine-empty">None left.</p>}
      {entries.length > 0 && (
        <ul class="mine-list">
          {entries.map((e) => (
            <li key={e.id} class="mine-item" data-id={e.id}>
              <a href={e.url}>{e.filename}</a>
              <button type="button" class="button secondary delete" aria-label={`Delete ${e.filename}`} onClick={() => onDelete(e)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Moving the delete tokens to another browser: a JSON file out, the same file in. */
function TokenTransfer({ entries, store, onImported }: { entries: StoredUpload[]; store: TokenStore; onImported: () => void }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const save = () => {
    const blob = new Blob([exportTokens(entries, new Date())], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `soundtime-delete-tokens-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  const load = async (file: File | undefined) => {
    if (!file) return;
    const done = (ok: boolean, text: string) => {
      setResult({ ok, text });
      if (ok) announce(text);
    };
    if (file.size > MAX_IMPORT_BYTES) return done(false, `${file.name} is too large to be a file of delete tokens; nothing was imported.`);
    let text: string;
    try {
      text = await file.text();
    } catch {
      return done(false, `${file.name} could not be read; nothing was imported.`);
    }
    const parsed = parseImport(text, location.origin, new Date());
    if (!parsed.ok) return done(false, parsed.reason);
    const added = store.merge(parsed.entries);
    if (added === null) return done(false, 'This browser refused to store the tokens (private browsing may forbid it); nothing was imported.');
    const known = parsed.entries.length - added;
    const parts = [`Imported ${added} ${added === 1 ? 'token' : 'tokens'}`];
    if (known) parts.push(`${known} ${known === 1 ? 'was' : 'were'} already here`);
    if (parsed.skipped) parts.push(`${parsed.skipped} ${parsed.skipped === 1 ? 'entry was' : 'entries were'} not valid and skipped`);
    done(true, parts.join('; ') + '.');
    onImported();
  };
  // A file input made on demand, never in the page: the page's one file input stays the one for
  // audio, and the button is an ordinary button for the keyboard and screen readers.
  const pick = () => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'application/json,.json';
    input.addEventListener('change', () => void load(input.files?.[0]));
    input.click();
  };
  return (
    <section class="transfer" aria-labelledby="transfer-heading">
      <h2 id="transfer-heading">Delete tokens on another device</h2>
      <p class="token-note">
        The tokens kept in this browser let you delete your tracks. To use them elsewhere, export them to a file here and import
        the file there.
      </p>
      <div class="actions">
        {entries.length > 0 && (
          <button type="button" class="button secondary export" onClick={save}>
            Export tokens
          </button>
        )}
        <button type="button" class="button secondary import" onClick={pick}>
          Import tokens
        </button>
      </div>
      {result &&
        (result.ok ? (
          <p class="import-result">{result.text}</p>
        ) : (
          <p class="error import-result" role="alert">
            {result.text}
          </p>
        ))}
    </section>
  );
}

export function UploadPage() {
  const config = useRef<Config>(DEFAULT_CONFIG);
  const [limits, setLimits] = useState<Config>(DEFAULT_CONFIG);
  const store = useMemo(() => new TokenStore(browserStorage()), []);
  const [mine, setMine] = useState<StoredUpload[]>(() => store.list());
  const [items, setItems] = useState<UploadItem[]>([]);
  const [streamOnly, setStreamOnly] = useState(false);
  const [isPublic, setIsPublic] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  const configReady = useRef<Promise<void> | null>(null);
  /** Where focus goes once the list re-renders after a delete: an entry's id, or the heading. */
  const focusAfterDelete = useRef<string | null>(null);
  /** Once the list has been shown, it stays (with its heading) even when emptied. */
  const mineShown = useRef(mine.length > 0);
  if (mine.length) mineShown.current = true;

  useEffect(() => {
    const target = focusAfterDelete.current;
    if (target === null) return;
    focusAfterDelete.current = null;
    const el =
      target === '' ? document.getElementById('mine-heading') : document.querySelector<HTMLElement>(`.mine-item[data-id="${CSS.escape(target)}"] .delete`);
    (el ?? document.getElementById('mine-heading'))?.focus();
  }, [mine]);

  const queue = useMemo(
    () =>
      new UploadQueue(browserTransport(() => config.current), 2, (item, created) => {
        store.add({ id: created.id, url: created.url, filename: item.name, deleteToken: created.deleteToken, createdAt: new Date().toISOString() });
        setMine(store.list());
      }),
    [store],
  );

  useEffect(() => {
    configReady.current = getConfig().then((c) => {
      config.current = c;
      setLimits(c);
      // Federation off: "Public" would announce nothing, so it is unticked and disabled.
      if (c.fediverse === null) setIsPublic(false);
    });
    const seen = new Map<number, string>();
    return queue.subscribe((list) => {
      setItems(list);
      for (const i of list) {
        if (seen.get(i.key) === i.state) continue;
        seen.set(i.key, i.state);
        if (i.state === 'refused') announce(`${i.name} not uploaded: ${i.message}`);
        if (i.state === 'processing') announce(`${i.name} uploaded, processing`);
        if (i.state === 'ready') announce(`${i.name} is ready: its link is ready to share`);
        if (i.state === 'failed' || i.state === 'error') announce(`${i.name}: ${i.message}`);
        if (i.state === 'cancelled') announce(`Upload of ${i.name} cancelled`);
        if (i.state === 'paused') announce(`Upload of ${i.name} paused`);
      }
    });
  }, [queue]);

  // Leaving (or reloading) while bytes are still going up asks first; nothing else does.
  const busy = items.some(inFlight);
  useEffect(() => {
    if (!busy) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older browsers show the dialog only when returnValue is set.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [busy]);

  const addFiles = async (list: FileList | File[] | null) => {
    const files = list ? Array.from(list) : [];
    if (!files.length) return;
    await configReady.current;
    // Never public where the server said it announces nothing (the box may have been ticked
    // before its answer came).
    await queue.add(files, { downloadable: !streamOnly, public: isPublic && config.current.fediverse !== null });
  };

  const onDelete = async (e: StoredUpload) => {
    if (!confirm(`Delete “${e.filename}”? Its link will stop working.`)) return;
    setDeleteError('');
    try {
      await deleteTrack(e.id, e.deleteToken);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        const m = `Could not delete ${e.filename}: ${err instanceof Error ? err.message : 'unknown error'}`;
        setDeleteError(m);
        announce(m);
        return;
      }
    }
    const before = store.list();
    const at = before.findIndex((x) => x.id === e.id);
    store.remove(e.id);
    const after = store.list();
    // Focus the next entry's Delete button (or the previous one's, at the end), else the heading.
    const next = after[Math.min(Math.max(at, 0), after.length - 1)];
    focusAfterDelete.current = next ? next.id : '';
    setMine(after);
    announce(`${e.filename} deleted`);
  };

  const hours = Math.round(limits.maxDurationSeconds / 3600);
  const pub = publicOption(limits.fediverse);
  return (
    <>
      <Brand />
      <main class="upload-page">
        <h1>Share a track with a link</h1>
        <p class="lede">
          Upload audio, get a link and an embeddable player. Tracks are removed {limits.retentionDays} days after their last listen.
        </p>
        <div
          class="dropzone"
          data-dragging={dragging ? 'true' : 'false'}
          onDragOver={(e) => {
            e.preventDefault();
            if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            void addFiles(e.dataTransfer?.files ?? null);
          }}
        >
          <p class="drop-hint">Drop audio files here</p>
          <input
            id="file-input"
            class="file-input"
            type="file"
            multiple
            accept={ACCEPT}
            onChange={(e) => {
              const input = e.currentTarget;
              void addFiles(input.files).finally(() => {
                input.value = '';
              });
            }}
          />
          <label for="file-input" class="button primary">
            Choose audio files
          </label>
          <p class="limits">
            MP3, AAC, Ogg, Opus, FLAC, WAV, M4A, AIFF or WebM · up to {formatBytes(limits.maxUploadBytes)} and {hours}{' '}
            {hours === 1 ? 'hour' : 'hours'}
          </p>
        </div>
        <fieldset class="options">
          <legend>For the next uploads</legend>
          <label class="check">
            <input type="checkbox" name="stream-only" checked={streamOnly} onChange={(e) => setStreamOnly(e.currentTarget.checked)} />
            Stream only (no download)
          </label>
          <div class="option" data-available={pub.available ? 'true' : 'false'}>
            <label class="check">
              <input
                type="checkbox"
                name="public"
                checked={isPublic && pub.available}
                disabled={!pub.available}
                aria-describedby="public-help"
                onChange={(e) => setIsPublic(e.currentTarget.checked)}
              />
              {pub.label}
            </label>
            <p id="public-help" class="option-help">
              {pub.help}
            </p>
          </div>
        </fieldset>
        {items.length > 0 && (
          <ul class="uploads" aria-label="Uploads">
            {items.map((i) => (
              <UploadRow
                key={i.key}
                item={i}
                onCancel={() => queue.cancel(i.key)}
                onPause={() => queue.pause(i.key)}
                onResume={() => queue.resume(i.key)}
                onRetry={() => queue.retry(i.key)}
              />
            ))}
          </ul>
        )}
        <MakeSet items={items} />
        {deleteError && (
          <p class="error" role="alert">
            {deleteError}
          </p>
        )}
        <MyUploads entries={mine} shown={mineShown.current} onDelete={(e) => void onDelete(e)} />
        <TokenTransfer entries={mine} store={store} onImported={() => setMine(store.list())} />
      </main>
    </>
  );
}
