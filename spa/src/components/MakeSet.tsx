// "Make a set of these files": after a multi-file upload, the upload page offers to put the
// uploaded tracks behind one link (/s/{id}), in the order they were added, with the delete
// tokens it already holds. The set's own token is shown once, like a track's.

import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { announce } from '../lib/dom';
import type { UploadItem } from '../lib/queue';
import { createSet, setCandidates, suggestedTitle, type SetCreated } from '../lib/sets';
import { CopyButton } from './common';

export function MakeSet({ items }: { items: UploadItem[] }) {
  const candidates = setCandidates(items);
  const key = candidates.map((i) => i.key).join(',');
  const [title, setTitle] = useState<string | null>(null);
  const [made, setMade] = useState<{ key: string; set: SetCreated } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (candidates.length < 2 && !made) return null;

  const shown = title ?? suggestedTitle(candidates);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const set = await createSet(
        shown.trim(),
        candidates.map((i) => ({ id: i.created!.id, deleteToken: i.created!.deleteToken })),
      );
      setMade({ key, set });
      announce(`Set made: ${set.url}`);
    } catch (err) {
      const m = err instanceof ApiError ? err.message : 'The set could not be made.';
      setError(m);
      announce(m);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="make-set" aria-labelledby="make-set-heading">
      <h2 id="make-set-heading">One link for all of them</h2>
      {made && (
        <div class="share set-made">
          <p class="share-row">
            <a class="share-link set-link" href={made.set.url}>
              {made.set.url}
            </a>
            <CopyButton text={made.set.url} label="Copy link" what="link" />
          </p>
          <p class="token-note">
            Set delete token: <code class="delete-token">{made.set.deleteToken}</code>
            <br />
            Keep it to change or delete this set later; it is shown only once. Deleting the set leaves its tracks.
          </p>
        </div>
      )}
      {candidates.length >= 2 && made?.key !== key && (
        <form class="make-set-form" onSubmit={(e) => void submit(e)}>
          <label for="set-title">Set title</label>
          <input
            id="set-title"
            name="set-title"
            type="text"
            required
            maxLength={200}
            value={shown}
            placeholder="Album, playlist…"
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          <button type="submit" class="button primary" disabled={busy || !shown.trim()}>
            Make a set of these {candidates.length} files
          </button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
