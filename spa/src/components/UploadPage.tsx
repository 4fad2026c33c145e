// The upload page: drop or choose files, watch them hash, upload and process, share the link.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, DEFAULT_CONFIG, deleteTrack, getConfig, trackTitle, type Config } from '../lib/api';
import { announce } from '../lib/dom';
import { publicOption } from '../lib/fediverse';
import { formatBytes, formatDuration, formatSpeed, percent } from '../lib/format';
import { UploadQueue, type UploadItem } from '../lib/queue';
import { browserStorage, TokenStore, type StoredUpload } from '../lib/store';
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
    case 'uploading':
      return (
        <p class="status">
          {percent(item.progress, 1)} %{item.speed !== undefined ? ` · ${formatSpeed(item.speed)}` : ''}
        </p>
      );
    case 'processing':
      return (
        <p class="status">
          <span class="spinner" aria-hidden="true" /> Uploaded. Processing…
        </p>
      );
    case 'ready':
      return <p class="status">Ready{item.track?.duration ? ` · ${formatDuration(item.track.duration)}` : ''}</p>;
    case 'failed':
      return <p class="status reason">Processing failed: {item.message}</p>;
    case 'cancelled':
      return <p class="status">Cancelled</p>;
    case 'error':
      return <p class="status reason">{item.message}</p>;
  }
}

function UploadRow({ item, onCancel }: { item: UploadItem; onCancel: () => void }) {
  const busy = item.state === 'queued' || item.state === 'hashing' || item.state === 'uploading';
  const c = item.created;
  const shared = c && (item.state === 'processing' || item.state === 'ready' || item.state === 'failed');
  const title = item.track ? trackTitle(item.track) : item.name;
  const row = useRef<HTMLLIElement>(null);
  return (
    // Focusable so that focus has somewhere to go when its Cancel button disappears.
    <li class="upload" data-state={item.state} tabIndex={-1} ref={row}>
      <div class="upload-head">
        <span class="name">{item.name}</span>
        <span class="size">{formatBytes(item.size)}</span>
      </div>
      <StatusLine item={item} />
      {(item.state === 'hashing' || item.state === 'uploading') && (
        <progress max={100} value={percent(item.progress, 1)} aria-label={`${item.state === 'hashing' ? 'Hashing' : 'Uploading'} ${item.name}`} />
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
            <a class="share-link" href={c.url}>
              {c.url}
            </a>
            <CopyButton text={c.url} label="Copy link" what="link" />
          </p>
          {item.state !== 'failed' && <EmbedCode url={c.url} id={c.id} title={title} />}
          <p class="token-note">
            Delete token: <code class="delete-token">{c.deleteToken}</code>
            <br />
            Keep it to delete this track later. It is shown only once, and is also kept in this browser.
          </p>
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
        if (i.state === 'ready') announce(`${i.name} is ready`);
        if (i.state === 'failed' || i.state === 'error') announce(`${i.name}: ${i.message}`);
        if (i.state === 'cancelled') announce(`Upload of ${i.name} cancelled`);
      }
    });
  }, [queue]);

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
              <UploadRow key={i.key} item={i} onCancel={() => queue.cancel(i.key)} />
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
      </main>
    </>
  );
}
