// Managing a track from the track page: a private manage link (/t/{id}#delete=TOKEN, made by the
// upload page) brings the delete token to another device. The token lives in the fragment, which
// the browser never sends to a server; the page takes it out of the address bar at once (so it is
// not copied along with the link), keeps it in this browser like the upload page does, and offers
// Delete. A token this browser already keeps for the track offers Delete too.

// The section itself (ManageTrack.tsx) is loaded only when there is a token: most visitors of a
// track page are listeners, and the embed shares this module.

import type { ComponentType } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Track } from '../lib/api';
import { browserStorage, manageToken, TokenStore } from '../lib/store';
import type { ManageTrackProps } from './ManageTrack';

/** Reads and removes a #delete= fragment; returns its token (null if absent or malformed). */
function takeFragment(): string | null {
  const hash = location.hash;
  if (!hash.startsWith('#delete=')) return null;
  // Out of the address bar and the history entry before anything else runs: a copied address,
  // a bookmark or a screenshot never carries the token.
  history.replaceState(history.state, '', location.pathname + location.search);
  return manageToken(hash);
}

/**
 * The Delete section of a track page, or null when this browser holds no token for the track.
 * `onDeleted` is called once the track is gone (the page then says so).
 */
export function useManage(id: string, track: Track | null, onDeleted: () => void) {
  const store = useMemo(() => new TokenStore(browserStorage()), []);
  const fromLink = useRef<string | null>(null);
  const [token, setToken] = useState<string | null>(() => {
    fromLink.current = takeFragment();
    return fromLink.current ?? store.list().find((e) => e.id === id)?.deleteToken ?? null;
  });

  // A token from a manage link is kept once the track is known to exist (with its file name).
  useEffect(() => {
    const t = fromLink.current;
    if (!t || !track) return;
    fromLink.current = null;
    store.add({ id, url: track.url, filename: track.filename, deleteToken: t, createdAt: track.createdAt ?? new Date().toISOString() });
  }, [id, track, store]);

  const [refused, setRefused] = useState(false);
  const [Section, setSection] = useState<ComponentType<ManageTrackProps> | null>(null);
  useEffect(() => {
    if (!token || Section) return;
    let live = true;
    import('./ManageTrack')
      .then((m) => live && setSection(() => m.ManageTrack))
      .catch(() => undefined); // without the section the page still plays; nothing to say
    return () => {
      live = false;
    };
  }, [token, Section]);
  if (refused) {
    return (
      <p class="error manage-refused" role="alert">
        This manage link does not belong to this track (it may be incomplete): the track was not deleted.
      </p>
    );
  }
  if (!token || !track || !Section) return null;
  return (
    <Section
      track={track}
      token={token}
      onDeleted={() => {
        store.remove(id);
        onDeleted();
      }}
      onRefused={() => {
        if (store.list().find((e) => e.id === id)?.deleteToken === token) store.remove(id);
        setToken(null);
        setRefused(true);
      }}
    />
  );
}
