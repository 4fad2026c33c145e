// The Delete section of a track page for a browser that holds the track's delete token (see
// Manage.tsx): confirmation, then DELETE /api/tracks/{id} with the token.

import { useState } from 'preact/hooks';
import { ApiError, deleteTrack, trackTitle, type Track } from '../lib/api';
import { announce } from '../lib/dom';
import { errorSentence } from '../lib/sentences';

export interface ManageTrackProps {
  track: Track;
  token: string;
  /** The track is gone (deleted now, or before). */
  onDeleted: () => void;
  /** The server refused the token. */
  onRefused: () => void;
}

export function ManageTrack({ track, token, onDeleted, onRefused }: ManageTrackProps) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const title = trackTitle(track);
  const remove = async () => {
    if (!confirm(`Delete “${title}”? Its link will stop working for everyone.`)) return;
    setBusy(true);
    setError('');
    try {
      await deleteTrack(track.id, token);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 403) {
        onRefused();
        return;
      }
      if (!(err instanceof ApiError && err.status === 404)) {
        setError(`Could not delete the track. ${errorSentence(err)}`);
        return;
      }
    }
    announce(`${title} deleted`);
    onDeleted();
  };
  return (
    <section class="manage" aria-labelledby="manage-heading">
      <h2 id="manage-heading">Manage this track</h2>
      <p class="manage-note">This browser holds the track’s delete token: you can delete it for everyone.</p>
      <button type="button" class="button secondary delete" disabled={busy} onClick={() => void remove()}>
        Delete track
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
