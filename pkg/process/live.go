package process

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// playlistEvery is the least time between two writes of the growing playlist. Processing runs
// tens of times faster than realtime, so a listener is never short of segments, and a two-hour
// track does not rewrite a playlist of hundreds of entries for each of them.
const playlistEvery = time.Second

// livePublisher publishes a track's HLS segments while ffmpeg writes them: each segment as soon
// as it is whole, then the EVENT playlist naming the segments stored so far (never one that is
// not), and, after the first, marks the track playable. A run that resumes a track a dead run
// made playable never writes a playlist shorter than the stored one: a listener's playlist only
// grows. Its add is media.Job.Segments: one goroutine calls it, in order.
type livePublisher struct {
	h      *Handler
	t      *track.Track // the run's track: the mark updates it in place, for Finish and Release
	dir    string       // ffmpeg's hls directory
	target int          // the playlist's target duration (HLS_SEGMENT_SECONDS)
	start  time.Time    // when the run began

	segs    []track.Segment // stored, in order
	stored  int             // segments the stored playlist names (a dead run's, at first)
	wrote   time.Time       // when this run last wrote the playlist
	firstAt time.Duration   // from start to the first playlist this run wrote, 0 before it
}

// newLivePublisher starts where the stored playlist of t, if a dead run left one, ends.
func (h *Handler) newLivePublisher(ctx context.Context, t *track.Track, dir string, start time.Time) (*livePublisher, error) {
	published, err := h.Tracks.PublishedSegments(ctx, t)
	if err != nil {
		return nil, err
	}
	return &livePublisher{h: h, t: t, dir: dir, target: h.Media.SegmentSeconds, start: start, stored: len(published)}, nil
}

// add stores the segments ffmpeg finished and, when due, the playlist.
func (l *livePublisher) add(ctx context.Context, done []track.Segment) error {
	if len(done) > 0 {
		puts := make([]put, len(done))
		for i, s := range done {
			puts[i] = put{key: track.SegmentKey(l.t.ID, s.Name), path: filepath.Join(l.dir, s.Name), typ: "video/mp2t"}
		}
		if err := l.h.putAll(ctx, puts); err != nil {
			return err
		}
		l.segs = append(l.segs, done...)
	}
	if len(l.segs) <= l.stored || time.Since(l.wrote) < playlistEvery {
		return nil
	}
	body := track.FormatPlaylist(l.segs, l.target, false)
	if err := l.h.putOne(ctx, put{key: track.PlaylistKey(l.t.ID), data: body, typ: "application/vnd.apple.mpegurl", cache: playlistCache}); err != nil {
		return err
	}
	l.stored, l.wrote = len(l.segs), time.Now()
	if l.firstAt == 0 {
		l.firstAt = time.Since(l.start)
	}
	if !l.t.Playable() {
		next, err := l.h.Tracks.MarkPlayable(ctx, l.t)
		if err != nil {
			return fmt.Errorf("process: %w", err)
		}
		*l.t = *next
	}
	return nil
}

// published is how many of ffmpeg's segments, from the first, this run has stored.
func (l *livePublisher) published() int { return len(l.segs) }
