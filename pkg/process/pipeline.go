package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/theme"
	"github.com/soundtime/soundtime/pkg/track"
)

// Media configures the media work.
type Media struct {
	FFmpeg         string        // FFMPEG_PATH
	SegmentSeconds int           // HLS_SEGMENT_SECONDS
	MaxDuration    time.Duration // MAX_DURATION
	// Timeout bounds one ffmpeg run; in Lambda the invocation's deadline bounds it further.
	Timeout time.Duration
	// TempDir holds an upload's files while it is processed (Lambda: /tmp).
	TempDir string
	// Uploads is how many derived objects are written at once.
	Uploads int
}

// Messages a failed track carries: what went wrong and what the uploader can do.
var failures = map[error]struct{ code, message string }{
	media.ErrNotAudio: {track.ENotAudio, "This file is not audio Soundtime can play. Upload an MP3, FLAC, Ogg Vorbis, Opus, WAV, AIFF, M4A/AAC or WebM file."},
	media.ErrCorrupt:  {track.ECorrupt, "The file could not be decoded: it may be damaged or incomplete. Export it again and upload the new file."},
	media.ErrTimeout:  {track.ECorrupt, "Decoding this file took far too long. Export it again in a common format and upload the new file."},
}

// cacheControl of derived objects: they never change under their key, and only signed URLs
// reach them.
const cacheControl = "private, max-age=31536000, immutable"

// process makes everything a listener gets from t's original and marks t ready, or failed
// when the file is at fault. It returns an error only for what a retry may fix.
func (h *Handler) process(ctx context.Context, t *track.Track, log *slog.Logger) error {
	start := time.Now()
	dir, err := os.MkdirTemp(h.Media.TempDir, "soundtime-"+t.ID+"-")
	if err != nil {
		return fmt.Errorf("process: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	original := filepath.Join(dir, "original")
	switch err := h.download(ctx, t, original); {
	case errors.Is(err, track.ErrNotFound):
		log.Info("original gone: the track was deleted meanwhile")
		return nil
	case errors.Is(err, errSizeChanged):
		return h.fail(ctx, t, log, track.EUploadMismatch, "The uploaded file is not the one announced. Upload it again.")
	case err != nil:
		return err
	}
	fetched := time.Since(start)

	f, err := os.Open(original)
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	defer f.Close()
	format, err := media.SniffFile(f, t.Size)
	switch {
	case errors.Is(err, media.ErrNotAudio):
		return h.failWith(ctx, t, log, media.ErrNotAudio, err)
	case err != nil:
		return fmt.Errorf("process: %w", err)
	}
	// Tags are a courtesy: a file whose tags cannot be read still plays.
	tags, pic, err := media.ReadTags(f, format)
	if err != nil {
		log.Warn("tags unreadable", slog.String("error", err.Error()))
		tags, pic = track.Tags{}, nil
	}

	peaks := media.NewPeaks(media.SampleRate)
	job := media.Job{
		FFmpeg: h.Media.FFmpeg, Input: original, Format: format, OutDir: filepath.Join(dir, "out"),
		SegmentSeconds: h.Media.SegmentSeconds, MaxDuration: h.Media.MaxDuration,
		Timeout: h.timeout(ctx), PCM: peaks,
	}
	out, err := media.Transcode(ctx, job)
	switch {
	case errors.Is(err, media.ErrTooLong):
		return h.fail(ctx, t, log, track.ETooLong, fmt.Sprintf("The track is longer than the %s limit. Upload a shorter one.", humanDuration(h.Media.MaxDuration)))
	case errors.Is(err, media.ErrCorrupt), errors.Is(err, media.ErrTimeout):
		return h.failWith(ctx, t, log, err, err)
	case err != nil:
		return err
	}
	transcoded := time.Since(start) - fetched

	waveform, err := json.Marshal(peaks.Waveform())
	if err != nil {
		return fmt.Errorf("process: waveform: %w", err)
	}
	puts := []put{
		{key: track.PreviewKey(t.ID), path: out.Preview, typ: "audio/ogg"},
		{key: track.WaveformKey(t.ID), data: waveform, typ: "application/json"},
	}
	for _, seg := range out.Segments {
		puts = append(puts, put{key: track.SegmentKey(t.ID, filepath.Base(seg)), path: seg, typ: "video/mp2t"})
	}
	p := track.Processing{Duration: round(out.Duration(), 3), Audio: out.Audio, Tags: tags}
	if pic != nil {
		p.CoverType, p.CoverExt = pic.MIMEType, pic.Ext
		// The page's colours. A cover Go cannot decode (or one too large) is still served, the
		// page just keeps its neutral colours.
		if th, err := theme.FromImage(pic.Data); err == nil {
			p.Theme = &track.Theme{Background: th.Background, Foreground: th.Foreground, Accent: th.Accent}
		} else {
			log.Info("no theme from the cover", slog.String("error", err.Error()))
		}
		puts = append(puts, put{key: track.CoverKey(t.ID, pic.Ext), data: pic.Data, typ: pic.MIMEType})
	}
	if err := h.putAll(ctx, puts); err != nil {
		return err
	}
	// The playlist last: it names the segments, which are all in place by now.
	if err := h.putAll(ctx, []put{{key: track.PlaylistKey(t.ID), path: out.Playlist, typ: "application/vnd.apple.mpegurl"}}); err != nil {
		return err
	}
	done, err := h.Tracks.FinishProcessing(ctx, t, p)
	if err != nil {
		return err
	}
	if done == nil {
		// A duplicate invocation finished first (its objects are these), or the track was
		// deleted or expired while we worked: then what we just wrote is an orphan.
		if _, err := h.Tracks.Store.Get(ctx, t.ID); errors.Is(err, track.ErrNotFound) {
			n, err := track.Purge(ctx, h.Tracks.Blobs, t.ID)
			log.Info("track gone while processing; outputs removed", slog.Int("objects", n))
			return err
		}
		log.Info("track changed meanwhile; nothing recorded")
		return nil
	}
	log.Info("track ready", slog.Float64("duration", p.Duration),
		slog.Duration("fetch", fetched), slog.Duration("transcode", transcoded),
		slog.Duration("total", time.Since(start)), slog.Int("segments", len(out.Segments)))
	return nil
}

var errSizeChanged = errors.New("process: the original's size changed")

// download streams the original to path, never holding it in memory, and checks its size.
func (h *Handler) download(ctx context.Context, t *track.Track, path string) error {
	body, _, err := h.Tracks.Blobs.Get(ctx, t.OriginalKey)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(body, t.Size+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("process: download %s: %w", t.OriginalKey, err)
	}
	if n != t.Size {
		return errSizeChanged
	}
	return nil
}

func (h *Handler) failWith(ctx context.Context, t *track.Track, log *slog.Logger, kind, cause error) error {
	for k, f := range failures {
		if errors.Is(kind, k) {
			log.Warn("file refused", slog.String("code", f.code), slog.String("cause", cause.Error()))
			return h.fail(ctx, t, log, f.code, f.message)
		}
	}
	return cause
}

func (h *Handler) fail(ctx context.Context, t *track.Track, log *slog.Logger, code, message string) error {
	if _, err := h.Tracks.FailProcessing(ctx, t, code, message); err != nil {
		return err
	}
	log.Info("track failed", slog.String("code", code))
	return nil
}

// timeout leaves a minute of the invocation for uploading and recording the outputs.
func (h *Handler) timeout(ctx context.Context) time.Duration {
	d := h.Media.Timeout
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline) - time.Minute; left < d {
			d = max(left, 10*time.Second)
		}
	}
	return d
}

type put struct {
	key, path, typ string
	data           []byte
}

// putAll uploads objects with bounded concurrency; the first error cancels the rest.
func (h *Handler) putAll(ctx context.Context, puts []put) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(h.Media.Uploads, 1))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, p := range puts {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := h.putOne(ctx, p); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (h *Handler) putOne(ctx context.Context, p put) error {
	opt := track.PutOptions{ContentType: p.typ, CacheControl: cacheControl}
	if p.data != nil {
		return h.Tracks.Blobs.Put(ctx, p.key, bytes.NewReader(p.data), int64(len(p.data)), opt)
	}
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	return h.Tracks.Blobs.Put(ctx, p.key, f, st.Size(), opt)
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d-hour", int(d.Hours()))
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d-minute", int(d.Minutes()))
	}
	return d.String()
}
