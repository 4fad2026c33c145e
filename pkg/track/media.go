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

// Keys of a track's derived objects. They are deterministic, so that processing the same upload
// twice writes the same objects, never new ones.
func PreviewKey(id string) string  { return DerivedPrefix + id + "/preview.ogg" }
func WaveformKey(id string) string { return DerivedPrefix + id + "/waveform.json" }
func PlaylistKey(id string) string { return DerivedPrefix + id + "/hls/index.m3u8" }
func SegmentKey(id, name string) string {
	return DerivedPrefix + id + "/hls/" + name
}
func CoverKey(id, ext string) string { return DerivedPrefix + id + "/cover." + ext }

// Purge deletes every object of track id: its original and everything derived from it. It is
// idempotent: purging a purged track deletes nothing and succeeds.
func Purge(ctx context.Context, blobs Blobs, id string) (int, error) {
	if !ValidID(id) {
		return 0, fmt.Errorf("track: purge: %q is not a track ID", id)
	}
	total := 0
	for _, prefix := range []string{UploadsPrefix, DerivedPrefix} {
		n, err := blobs.DeletePrefix(ctx, prefix+id+"/")
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Processing is the result of processing an upload, ready to be recorded.
type Processing struct {
	Duration  float64
	Audio     Audio
	Tags      Tags
	CoverType string // "" when the file had no usable picture
	CoverExt  string
	Theme     *Theme // from the cover; nil when it could not be read
}

// BeginProcessing returns the track whose original is key if it is processing: the state
// MarkUploaded leaves it in, or a retry after an invocation that failed midway. (nil, nil) means
// there is nothing to process.
func (s *Service) BeginProcessing(ctx context.Context, key string) (*Track, error) {
	t, err := s.originalOf(ctx, key)
	if t == nil || err != nil {
		return nil, err
	}
	if t.Status != StatusProcessing || t.Expired(s.Now()) {
		return nil, nil
	}
	return t, nil
}

// FinishProcessing records p on t and moves it processing → ready. A track that is no longer
// processing (a duplicate invocation finished first, or it was deleted) is left as it is.
func (s *Service) FinishProcessing(ctx context.Context, t *Track, p Processing) (*Track, error) {
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.Status = StatusReady
	next.ExpiresAt = now.Add(s.Config.Retention)
	next.Duration = p.Duration
	audio, tags := p.Audio, p.Tags
	next.Audio, next.Tags = &audio, &tags
	if tags == (Tags{}) {
		next.Tags = nil
	}
	next.PreviewKey, next.PlaylistKey, next.WaveformKey = PreviewKey(t.ID), PlaylistKey(t.ID), WaveformKey(t.ID)
	next.CoverKey, next.CoverType, next.Theme = "", "", nil
	if p.CoverType != "" {
		next.CoverKey, next.CoverType, next.Theme = CoverKey(t.ID, p.CoverExt), p.CoverType, p.Theme
	}
	if err := s.Store.Replace(ctx, &next, StatusProcessing); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, nil
		}
		return nil, fmt.Errorf("track: finish %s: %w", t.ID, err)
	}
	return &next, nil
}

// FailProcessing moves t processing → failed with a reason its uploader can act on, kept for
// FailedTTL.
func (s *Service) FailProcessing(ctx context.Context, t *Track, code, message string) (*Track, error) {
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.Status = StatusFailed
	next.FailureCode, next.FailureMessage = code, message
	next.ExpiresAt = now.Add(s.Config.FailedTTL)
	if err := s.Store.Replace(ctx, &next, StatusProcessing); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, nil
		}
		return nil, fmt.Errorf("track: fail %s: %w", t.ID, err)
	}
	return &next, nil
}

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

// Playlist returns t's HLS playlist with every segment URI replaced by an absolute signed URL.
// Reading it counts as a listen. ENotReady while the track is not ready.
func (s *Service) Playlist(ctx context.Context, id string) ([]byte, error) {
	t, err := s.Listen(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status != StatusReady || t.PlaylistKey == "" {
		return nil, Errorf(ENotReady, "the track is not ready to stream yet")
	}
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
