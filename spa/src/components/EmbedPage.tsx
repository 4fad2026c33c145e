// The compact player shown in iframes on other sites. Layout (strip or card) is CSS alone.

import { trackTitle } from '../lib/api';
import { Cover } from './common';
import { Player } from './Player';
import { NotFound, Processing, useFragmentTime, useTrack } from './TrackPage';

export function EmbedPage({ id }: { id: string }) {
  // Embeds never re-check on visibility: every impression would cost a read (and slide the expiry).
  const { track, state, message, gone, stale } = useTrack(id, { recheck: false });
  const startAt = useFragmentTime();
  const title = track ? trackTitle(track) : '';
  const href = track?.url ?? `/t/${encodeURIComponent(id)}`;
  return (
    <main class="embed" data-state={state === 'error' ? 'loading' : state}>
      {state === 'notfound' ? (
        <NotFound compact />
      ) : !track ? (
        <p class="loading" role="status">
          {state === 'error' ? message : 'Loading…'}
        </p>
      ) : (
        <>
          <Cover src={track.cover} title={title} class="embed-cover" />
          <div class="embed-body">
            {/* The frame's one level-one heading: a screen reader's "next heading" lands here. */}
            <h1 class="embed-title">
              <a href={href} target="_blank" rel="noopener">
                <span class="title">{title}</span>
                {track.tags?.artist && <span class="artist">{track.tags.artist}</span>}
              </a>
            </h1>
            {(state === 'ready' || (state === 'processing' && track.playable)) && <Player track={track} onGone={gone} startAt={startAt} />}
            {state === 'processing' && <Processing stale={stale} />}
            {state === 'failed' && (
              <p class="error failed" role="alert">
                {message}
              </p>
            )}
          </div>
        </>
      )}
    </main>
  );
}
