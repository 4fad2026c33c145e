package process

import (
	"bytes"
	"cmp"
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
	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/theme"
	"github.com/soundtime/soundtime/pkg/track"
)

// Media configures the media work.
type Media struct {
	FFmpeg         string        // FFMPEG_PATH
	SegmentSeconds int           // HLS_SEGMENT_SECONDS
	MaxDuration    time.Duration // MAX_DURATION
	// Timeout bounds one ffmpeg run; the run's lease (PROCESS_TIMEOUT) and, in Lambda, the
	// invocation's deadline bound it further.
	Timeout time.Duration
	// TempDir holds an upload's files while it is processed (Lambda: /tmp).
	TempDir string
	// Uploads is how many derived objects are written at once.
	Uploads int
}

// cacheControl of derived objects: they never change under their key, and only signed URLs
// reach them.
const cacheControl = "private, max-age=31536000, immutable"

// playlistCache of the stored playlist, which grows while the track processes and then becomes
// the VOD one under the same key.
const playlistCache = "private, no-cache"

// process makes everything a listener gets from t's original and marks t ready, or failed when
// the file is at fault. It returns an error only for what a retry may fix.
func (h *Handler) process(ctx context.Context, t *track.Track, log *slog.Logger) error {
	// The lease is in the service's clock; what is left of it is the run's budget.
	ctx, cancel := context.WithTimeout(ctx, t.RunDeadline().Sub(h.Tracks.Now()))
	defer cancel()
	err := h.run(ctx, t, log)
	if f := classify(err, h.Media.MaxDuration); f != nil {
		log.Warn("file refused", slog.String("code", f.code), slog.Any("cause", err))
		return h.fail(ctx, t, log, f.code, f.message)
	}
	switch {
	case errors.Is(err, track.ErrNotFound):
		log.Info("original gone: the track was deleted meanwhile")
		return nil
	case errors.Is(err, track.ErrConflict):
		// Marking the track playable found it changed: deleted, expired or failed meanwhile.
		return h.settle(ctx, t, log)
	}
	return err
}

// run is the pipeline: fetch, analyse, transcode, publish, record.
func (h *Handler) run(ctx context.Context, t *track.Track, log *slog.Logger) error {
	start := time.Now()
	dir, err := os.MkdirTemp(h.Media.TempDir, "soundtime-"+t.ID+"-")
	if err != nil {
		return fmt.Errorf("process: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	original, err := h.fetch(ctx, t, dir)
	if err != nil {
		return err
	}
	fetched := time.Since(start)
	a, err := analyse(original, t.Size, log)
	if err != nil {
		return err
	}
	live, err := h.newLivePublisher(ctx, t, filepath.Join(dir, "out", "hls"), start)
	if err != nil {
		return err
	}
	out, peaks, err := h.transcode(ctx, original, a.format, dir, live)
	if err != nil {
		return err
	}
	transcoded := time.Since(start) - fetched
	p := track.Processing{Duration: round(out.Duration(), 3), Audio: out.Audio, Tags: a.tags}
	if a.pic != nil {
		p.CoverType, p.CoverExt, p.Theme = a.pic.MIMEType, a.pic.Ext, a.theme
		p.CoverWidth, p.CoverHeight = coverSize(a.pic.Data)
	}
	p.Card = a.pic == nil // publish draws a card for a track without cover art
	if p.DerivedBytes, err = h.publish(ctx, t.ID, out, peaks, a.pic, live.published()); err != nil {
		return err
	}
	if t.Public && h.Announce != nil {
		if err := h.Announce(ctx, t); err != nil {
			return err
		}
		p.Announced = true
	}
	p.Seconds = round(time.Since(start).Seconds(), 3)
	recorded, err := h.record(ctx, t, p, log)
	if err != nil {
		return err
	}
	if recorded {
		h.Metrics.Emit(ctx, nil, metrics.C(metrics.TracksReady))
		if p.Seconds > 0 {
			h.Metrics.Emit(ctx, map[string]string{"Format": a.format.Name},
				metrics.Metric{Name: metrics.ProcessingSeconds, Unit: metrics.Seconds, Value: p.Seconds},
				metrics.Metric{Name: metrics.RealtimeFactor, Unit: metrics.None, Value: round(p.Duration/p.Seconds, 2)})
		}
	}
	log.Info("track ready", slog.Float64("duration", p.Duration),
		slog.Duration("fetch", fetched), slog.Duration("transcode", transcoded),
		slog.Duration("total", time.Since(start)), slog.Int("segments", len(out.Segments)),
		slog.Duration("playable", live.firstAt))
	return nil
}

// copyBuffer is the size of the reads that copy an original to disk: large enough that hashing
// and writing work on big blocks (BenchmarkFetch).
const copyBuffer = 256 << 10

var (
	errSizeChanged = errors.New("process: the original's size changed")
	errMD5Mismatch = errors.New("process: the original's MD5 is not the one announced")
)

// fetch streams the original into dir, never holding it in memory, and checks its size. The
// original of a multipart upload is hashed on the way (no single signature covered its whole
// bytes, as Content-MD5 covers a single PUT's) and checked against the MD5 its uploader gave.
func (h *Handler) fetch(ctx context.Context, t *track.Track, dir string) (string, error) {
	body, _, err := h.Blobs.Get(ctx, t.OriginalKey)
	if err != nil {
		return "", err
	}
	defer body.Close()
	path := filepath.Join(dir, "original")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("process: %w", err)
	}
	var sum *md5Behind
	var w io.Writer = f
	if t.Multipart() && t.MD5 != "" {
		sum = newMD5Behind()
		w = io.MultiWriter(f, sum)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(body, t.Size+1), make([]byte, copyBuffer))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	got := ""
	if sum != nil {
		got = sum.Base64()
	}
	if err != nil {
		return "", fmt.Errorf("process: download %s: %w", t.OriginalKey, err)
	}
	if n != t.Size {
		return "", errSizeChanged
	}
	if sum != nil && got != t.MD5 {
		return "", errMD5Mismatch
	}
	return path, nil
}

// analysis is what the file says about itself before it is decoded.
type analysis struct {
	format media.Format
	tags   track.Tags
	pic    *media.Picture
	theme  *track.Theme
}

// analyse sniffs the container from the magic bytes and reads tags and cover. Tags are a
// courtesy: a file whose tags cannot be read still plays, and a cover Go cannot decode (or one
// too large) is still served, the page just keeps its neutral colours.
func analyse(path string, size int64, log *slog.Logger) (analysis, error) {
	f, err := os.Open(path)
	if err != nil {
		return analysis{}, fmt.Errorf("process: %w", err)
	}
	defer f.Close()
	var a analysis
	if a.format, err = media.SniffFile(f, size); err != nil {
		return analysis{}, err
	}
	if a.tags, a.pic, err = media.ReadTags(f, a.format); err != nil {
		log.Warn("tags unreadable", slog.Any("error", err))
		a.tags, a.pic = track.Tags{}, nil
	}
	if a.pic != nil {
		if th, err := theme.FromImage(a.pic.Data); err == nil {
			a.theme = &track.Theme{Background: th.Background, Foreground: th.Foreground, Accent: th.Accent}
		} else {
			log.Info("no theme from the cover", slog.Any("error", err))
		}
	}
	return a, nil
}

// errOutOfTime: ffmpeg was stopped by a deadline shorter than its own timeout (the run's lease,
// the invocation's end). The file is not to blame: a later run with the whole budget may finish.
var errOutOfTime = errors.New("process: the run ran out of time")

// transcode runs the one ffmpeg process: preview, HLS and the PCM folded into peaks. live
// publishes the HLS segments as they are written.
func (h *Handler) transcode(ctx context.Context, original string, format media.Format, dir string, live *livePublisher) (media.Outputs, *media.Peaks, error) {
	peaks := media.NewPeaks(media.SampleRate)
	budget := h.timeout(ctx)
	out, err := media.Transcode(ctx, media.Job{
		FFmpeg: h.Media.FFmpeg, Input: original, Format: format, OutDir: filepath.Join(dir, "out"),
		SegmentSeconds: h.Media.SegmentSeconds, MaxDuration: h.Media.MaxDuration,
		Timeout: budget, PCM: peaks,
		Segments: func(done []track.Segment) error { return live.add(ctx, done) },
	})
	if errors.Is(err, media.ErrTimeout) && budget < h.Media.Timeout {
		return media.Outputs{}, nil, fmt.Errorf("%w after %s: %w", errOutOfTime, budget, err)
	}
	return out, peaks, err
}

// timeout leaves a minute of the run for uploading and recording the outputs.
func (h *Handler) timeout(ctx context.Context) time.Duration {
	d := h.Media.Timeout
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline) - time.Minute; left < d {
			d = max(left, 10*time.Second)
		}
	}
	return d
}

// publish uploads the outputs but the first published segments (stored while ffmpeg ran), the
// VOD playlist last: it names the segments, which are all in place by then, and replaces the
// EVENT playlist under the same key. A track without cover art gets its card. It returns the
// outputs' total size. Keys are deterministic, so a retry writes the same objects again.
func (h *Handler) publish(ctx context.Context, id string, out media.Outputs, peaks *media.Peaks, pic *media.Picture, published int) (int64, error) {
	wf := peaks.Waveform()
	waveform, err := json.Marshal(wf)
	if err != nil {
		return 0, fmt.Errorf("process: waveform: %w", err)
	}
	puts := []put{
		{key: track.PreviewKey(id), path: out.Preview, typ: "audio/ogg"},
		{key: track.WaveformKey(id), data: waveform, typ: "application/json"},
	}
	if pic == nil {
		c, err := cardPut(id, wf)
		if err != nil {
			return 0, err
		}
		puts = append(puts, c)
	}
	if pic != nil {
		puts = append(puts, put{key: track.CoverKey(id, pic.Ext), data: pic.Data, typ: pic.MIMEType})
	}
	var size int64
	for i, seg := range out.Segments {
		p := put{key: track.SegmentKey(id, filepath.Base(seg)), path: seg, typ: "video/mp2t"}
		if i >= published {
			puts = append(puts, p)
			continue
		}
		n, err := p.size()
		if err != nil {
			return 0, err
		}
		size += n
	}
	playlist := put{key: track.PlaylistKey(id), data: track.FormatPlaylist(out.Entries, h.Media.SegmentSeconds, true),
		typ: "application/vnd.apple.mpegurl", cache: playlistCache}
	for _, p := range append(puts, playlist) {
		n, err := p.size()
		if err != nil {
			return 0, err
		}
		size += n
	}
	if err := h.putAll(ctx, puts); err != nil {
		return 0, err
	}
	return size, h.putAll(ctx, []put{playlist})
}

// record marks t ready and reports whether it did. If t changed meanwhile (a duplicate run
// finished first and wrote these same objects, or the track was deleted, expired or failed by the
// sweeper), nothing is recorded, and what this run wrote for a track that is gone is removed.
func (h *Handler) record(ctx context.Context, t *track.Track, p track.Processing, log *slog.Logger) (bool, error) {
	_, err := h.Tracks.Finish(ctx, t, p)
	if !errors.Is(err, track.ErrConflict) {
		return err == nil, err
	}
	return false, h.settle(ctx, t, log)
}

// settle handles a track that changed under its run: if it is gone or failed, what the run
// wrote is removed (the failure's own purge may have run before this run's last writes).
func (h *Handler) settle(ctx context.Context, t *track.Track, log *slog.Logger) error {
	now, err := h.Tracks.Get(ctx, t.ID)
	switch {
	case errors.Is(err, track.ErrNotFound), err == nil && now.Status == track.StatusFailed:
		n, err := track.Purge(ctx, h.Blobs, t.ID)
		log.Info("track gone or failed while processing; outputs removed", slog.Int("objects", n))
		return err
	case err != nil:
		return err
	}
	log.Info("track changed meanwhile; nothing recorded", slog.String("status", string(now.Status)))
	return nil
}

// fault is a failure the uploaded file is to blame for: the track fails with this reason.
type fault struct{ code, message string }

// classify is the one place that decides whether an error is the file's fault, and with what
// reason for its uploader; nil means a retry may fix it (or there is no error).
func classify(err error, maxDuration time.Duration) *fault {
	switch {
	case err == nil, errors.Is(err, errOutOfTime):
		return nil
	case errors.Is(err, errSizeChanged):
		return &fault{track.EUploadMismatch, "The uploaded file is not the one announced. Upload it again."}
	case errors.Is(err, errMD5Mismatch):
		return &fault{track.ECorruptUpload, "The uploaded parts do not add up to the file announced (its MD5 differs): a part may come from another file, or the file changed while it was sent. Upload it again."}
	case errors.Is(err, media.ErrNotAudio):
		return &fault{track.ENotAudio, "This file is not audio Soundtime can play. Upload an MP3, FLAC, Ogg Vorbis, Opus, WAV, AIFF, M4A/AAC or WebM file."}
	case errors.Is(err, media.ErrTooLong):
		return &fault{track.ETooLong, fmt.Sprintf("The track is longer than the %s limit. Upload a shorter one.", humanDuration(maxDuration))}
	case errors.Is(err, media.ErrCorrupt):
		return &fault{track.ECorrupt, "The file could not be decoded: it may be damaged or incomplete. Export it again and upload the new file."}
	case errors.Is(err, media.ErrTimeout):
		return &fault{track.ECorrupt, "Decoding this file took far too long. Export it again in a common format and upload the new file."}
	}
	return nil
}

func (h *Handler) fail(ctx context.Context, t *track.Track, log *slog.Logger, code, message string) error {
	switch _, err := h.Tracks.Fail(ctx, t, code, message); {
	case errors.Is(err, track.ErrConflict):
		log.Info("track changed meanwhile; failure not recorded")
		return nil
	case err != nil:
		return err
	}
	log.Info("track failed", slog.String("code", code))
	h.Metrics.Emit(ctx, map[string]string{"Code": code}, metrics.C(metrics.ProcessingFailures))
	return nil
}

type put struct {
	key, path, typ string
	data           []byte
	cache          string // Cache-Control; cacheControl when empty
}

func (p put) size() (int64, error) {
	if p.data != nil {
		return int64(len(p.data)), nil
	}
	st, err := os.Stat(p.path)
	if err != nil {
		return 0, fmt.Errorf("process: %w", err)
	}
	return st.Size(), nil
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
	opt := track.PutOptions{ContentType: p.typ, CacheControl: cmp.Or(p.cache, cacheControl)}
	if p.data != nil {
		return h.Blobs.Put(ctx, p.key, bytes.NewReader(p.data), int64(len(p.data)), opt)
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
	return h.Blobs.Put(ctx, p.key, f, st.Size(), opt)
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
