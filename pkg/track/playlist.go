package track

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// MediaURLs are signed URLs of a ready track's derived objects; empty where there is none.
type MediaURLs struct {
	Cover, Preview, Waveform string
}

// Media signs the URLs of t's derived objects, valid for MediaURLTTL.
func (s *Service) Media(ctx context.Context, t *Track) (MediaURLs, error) {
	var m MediaURLs
	if t.Status != StatusReady {
		return m, nil
	}
	for _, o := range []struct {
		key, typ string
		dst      *string
	}{
		{t.CoverKey, t.CoverType, &m.Cover},
		{t.PreviewKey, "audio/ogg", &m.Preview},
		{t.WaveformKey, "application/json", &m.Waveform},
	} {
		if o.key == "" {
			continue
		}
		p, err := s.Blobs.PresignGet(ctx, o.key, GetOptions{ContentType: o.typ}, s.Config.MediaURLTTL)
		if err != nil {
			return MediaURLs{}, fmt.Errorf("track: sign %s: %w", o.key, err)
		}
		*o.dst = p.URL
	}
	return m, nil
}

// pauseAllowance is how long a listener may pause a stream and still resume it: segment URLs
// live the track's duration plus this, so an hour's pause on any track is covered without
// reloading the playlist. The cap keeps within what URLs signed with a Lambda role's temporary
// credentials can live; the player reloads the playlist if a segment URL has expired anyway.
const (
	pauseAllowance = 2 * time.Hour
	maxSegmentTTL  = 12 * time.Hour
)

// SegmentURLTTL returns how long the segment URLs of a track of the given duration live.
func (s *Service) SegmentURLTTL(duration float64) time.Duration {
	ttl := time.Duration(duration*float64(time.Second)) + pauseAllowance
	if ttl < s.Config.MediaURLTTL {
		ttl = s.Config.MediaURLTTL
	}
	return min(ttl, maxSegmentTTL)
}

// maxPlaylistBytes bounds the stored playlist we read: a 4-hour track of 2-second segments has
// 7,200 entries of about 40 bytes.
const maxPlaylistBytes = 1 << 20

// Playable reports whether t can be streamed: it is ready, or processing and its first
// segments are published (MarkPlayable).
func (t *Track) Playable() bool {
	return t.PlaylistKey != "" && (t.Status == StatusReady || t.Status == StatusProcessing)
}

// Playlist returns t's HLS playlist with every segment URI replaced by an absolute signed URL,
// and whether it is the growing EVENT playlist of a track still processing (live) rather than
// the VOD playlist of a ready one. Reading a ready track's counts as a listen. ENotReady while
// the track is pending, or processing before its first segment is published; ETrackFailed for
// a failed track (it never will be ready).
func (s *Service) Playlist(ctx context.Context, id string) (body []byte, live bool, err error) {
	t, err := s.Listen(ctx, id)
	if err != nil {
		return nil, false, err
	}
	switch {
	case t.Status == StatusFailed:
		return nil, false, errFailed
	case !t.Playable():
		return nil, false, Errorf(ENotReady, "the track is not ready to stream yet")
	}
	raw, err := s.storedPlaylist(ctx, t)
	if err != nil {
		return nil, false, err
	}
	body, err = s.signPlaylist(ctx, t, raw)
	return body, t.Status == StatusProcessing, err
}

// storedPlaylist reads t's playlist as processing stored it.
func (s *Service) storedPlaylist(ctx context.Context, t *Track) ([]byte, error) {
	id := t.ID
	body, _, err := s.Blobs.Get(ctx, t.PlaylistKey)
	if err != nil {
		return nil, fmt.Errorf("track: read playlist %s: %w", id, err)
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, maxPlaylistBytes+1))
	if err != nil {
		return nil, fmt.Errorf("track: read playlist %s: %w", id, err)
	}
	if len(raw) > maxPlaylistBytes {
		return nil, fmt.Errorf("track: playlist %s is over %d bytes", id, maxPlaylistBytes)
	}
	return raw, nil
}

// PublishedSegments returns the segments named by the playlist stored for t (none when t has
// not been made playable): where a new run of a track made playable by a run that died resumes
// publishing its playlist, which must never shrink under a listener.
func (s *Service) PublishedSegments(ctx context.Context, t *Track) ([]Segment, error) {
	if t.PlaylistKey == "" {
		return nil, nil
	}
	raw, err := s.storedPlaylist(ctx, t)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseSegments(raw), nil
}

// signPlaylist replaces every segment name of raw, t's stored playlist, by a signed URL.
func (s *Service) signPlaylist(ctx context.Context, t *Track, raw []byte) ([]byte, error) {
	id := t.ID
	ttl := s.SegmentURLTTL(t.Duration)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line)
			out.WriteByte('\n')
			continue
		}
		// Only the bare segment names processing writes are signed: never a path or URL.
		if line != path.Base(line) || !strings.HasPrefix(line, "seg") || !strings.HasSuffix(line, ".ts") {
			return nil, fmt.Errorf("track: playlist %s names %q", id, line)
		}
		p, err := s.Blobs.PresignGet(ctx, SegmentKey(id, line), GetOptions{ContentType: "video/mp2t"}, ttl)
		if err != nil {
			return nil, fmt.Errorf("track: sign segment: %w", err)
		}
		out.WriteString(p.URL)
		out.WriteByte('\n')
	}
	return out.Bytes(), sc.Err()
}
