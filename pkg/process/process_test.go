package process_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

type fixture struct {
	store *tracktest.MemStore
	blobs *tracktest.MemBlobs
	svc   *track.Service
	h     *process.Handler
	now   time.Time
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{store: tracktest.NewMemStore(), blobs: tracktest.NewMemBlobs(), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.svc = track.NewService(f.store, f.blobs, track.Config{
		Retention: 336 * time.Hour, PendingTTL: 10 * time.Minute, FailedTTL: 24 * time.Hour,
		MaxUploadBytes: 1 << 30, UploadURLTTL: 10 * time.Minute, MediaURLTTL: 30 * time.Minute, ProcessTimeout: 15 * time.Minute,
	})
	f.svc.Now = func() time.Time { return f.now }
	f.h = &process.Handler{Tracks: f.svc, Blobs: f.blobs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bucket: "media",
		Media: process.Media{FFmpeg: mediatest.FFmpeg(t), SegmentSeconds: 2, MaxDuration: time.Minute, Timeout: time.Minute, TempDir: t.TempDir(), Uploads: 4}}
	return f
}

// createWith creates a track announcing data and stores data as its upload.
func (f *fixture) createWith(t testing.TB, data []byte, typ string) *track.Track {
	t.Helper()
	sum := md5.Sum(data)
	c, err := f.svc.Create(context.Background(), track.UploadRequest{Filename: "a", Type: typ, Size: int64(len(data)), MD5: base64.StdEncoding.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	f.blobs.PutBytes(c.Track.OriginalKey, typ, data)
	return c.Track
}

func song(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 5, Tags: track.Tags{Title: "T", Artist: "A"}, Cover: "jpeg"}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) create(t *testing.T) *track.Track {
	t.Helper()
	c, err := f.svc.Create(context.Background(), track.UploadRequest{Filename: "a.mp3", Type: "audio/mpeg", Size: 1234, MD5: "1B2M2Y8AsgTpgAmY7PhCfg=="})
	if err != nil {
		t.Fatal(err)
	}
	return c.Track
}

// event loads the sample S3 event (as AWS sends it, events/s3-put.json) and points it at key.
func event(t testing.TB, bucket, key, name string) events.S3Event {
	t.Helper()
	raw, err := os.ReadFile("../../events/s3-put.json")
	if err != nil {
		t.Fatal(err)
	}
	var e events.S3Event
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	e.Records[0].EventName = name
	e.Records[0].S3.Bucket.Name = bucket
	e.Records[0].S3.Object.Key = key
	e.Records[0].S3.Object.URLDecodedKey = ""
	return e
}

func (f *fixture) status(t *testing.T, id string) track.Status {
	t.Helper()
	got, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}

func TestUploadBecomesReady(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg")
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusReady || got.Tags == nil || got.Tags.Title != "T" || got.CoverType != "image/jpeg" ||
		got.Theme == nil || len(got.Theme.Background) != 7 || got.Duration < 4.9 || got.Duration > 5.1 || !got.ExpiresAt.Equal(f.now.Add(336*time.Hour)) ||
		got.CoverWidth != 500 || got.CoverHeight != 500 || got.CardKey != "" {
		t.Fatalf("after processing: %+v", got)
	}
	if slices.Contains(f.blobs.Keys("derived/"+tr.ID+"/"), track.CardKey(tr.ID)) {
		t.Error("a card was drawn for a track with cover art")
	}
	keys := f.blobs.Keys("derived/" + tr.ID + "/")
	for _, want := range []string{track.PreviewKey(tr.ID), track.WaveformKey(tr.ID), track.PlaylistKey(tr.ID), track.CoverKey(tr.ID, "jpg"), track.SegmentKey(tr.ID, "seg00000.ts")} {
		if !slices.Contains(keys, want) {
			t.Errorf("no %s in %v", want, keys)
		}
	}
	// The same event again, later: nothing changes.
	f.now = f.now.Add(time.Hour)
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	again, _ := f.store.Get(context.Background(), tr.ID)
	if !reflect.DeepEqual(got, again) || !slices.Equal(keys, f.blobs.Keys("derived/"+tr.ID+"/")) {
		t.Fatalf("a duplicate event changed something:\n%+v\n%+v", got, again)
	}
}

func TestNotAudioFails(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, []byte("#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/x.ts\n"), "audio/mpeg")
	if err := f.h.Handle(context.Background(), event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusFailed || got.FailureCode != track.ENotAudio || got.FailureMessage == "" {
		t.Fatalf("got %+v", got)
	}
	// A file that failed is never served: its original goes too (no download of whatever
	// someone uploaded as "audio").
	if keys := f.blobs.Keys(""); len(keys) != 0 {
		t.Fatalf("a refused file left objects: %v", keys)
	}
}

// failingPuts fails every Put, as an S3 outage would.
type failingPuts struct{ *tracktest.MemBlobs }

func (failingPuts) Put(context.Context, string, io.ReadSeeker, int64, track.PutOptions) error {
	return errors.New("503 SlowDown")
}

// TestFailedPutIsRetried: a transient S3 failure while writing outputs fails the invocation (so
// Lambda retries it) and leaves the track processing; the retry finishes the job.
func TestFailedPutIsRetried(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg")
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	f.h.Blobs = failingPuts{f.blobs}
	if err := f.h.Handle(context.Background(), e); err == nil {
		t.Fatal("a failed upload of outputs must fail the invocation")
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusProcessing || !got.LeaseUntil.IsZero() || got.Attempts != 1 {
		t.Fatalf("after the failed run: %s, lease until %v, attempt %d; want processing with the lease given back", got.Status, got.LeaseUntil, got.Attempts)
	}
	f.h.Blobs = f.blobs
	// Lambda's retry comes a minute later and runs at once: the lease was given back.
	f.now = f.now.Add(time.Minute)
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("status after the retry = %s", s)
	}
}

func TestIgnoredEvents(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	f.blobs.Add(tr.OriginalKey, track.ObjectInfo{Size: 1234, ContentType: "audio/mpeg"})
	cases := []struct{ name, bucket, key, event string }{
		{"another bucket", "not-ours", tr.OriginalKey, "ObjectCreated:Put"},
		{"a removal", "media", tr.OriginalKey, "ObjectRemoved:Delete"},
		{"outside uploads/", "media", "derived/" + tr.ID + "/preview.ogg", "ObjectCreated:Put"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := f.h.Handle(context.Background(), event(t, c.bucket, c.key, c.event)); err != nil {
				t.Fatal(err)
			}
			if s := f.status(t, tr.ID); s != track.StatusPending {
				t.Fatalf("status = %s, want pending", s)
			}
		})
	}
}

func TestMismatchFailsTheTrack(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	f.blobs.PutBytes(tr.OriginalKey, "text/html", make([]byte, 1234))
	if err := f.h.Handle(context.Background(), event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err != nil {
		t.Fatalf("a bad upload is not a handler error (Lambda would retry it): %v", err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusFailed || got.FailureCode != track.EUploadMismatch || !got.ExpiresAt.Equal(f.now.Add(24*time.Hour)) {
		t.Fatalf("got %+v", got)
	}
	if keys := f.blobs.Keys(""); len(keys) != 0 {
		t.Fatalf("the refused upload is still stored: %v", keys)
	}
}

// TestStrayObjectsAreDeleted: an object that lands for no upload in progress (a PUT with a
// still-valid URL after the track was deleted or its pending time ran out, or any other key
// under uploads/) is deleted by its event, not left for the next reconcile.
func TestStrayObjectsAreDeleted(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	for _, key := range []string{"uploads/Zz9Zz9Zz/x", "uploads/" + tr.ID + "/other"} {
		f.blobs.Add(key, track.ObjectInfo{Size: 1234, ContentType: "audio/mpeg"})
		if err := f.h.Handle(context.Background(), event(t, "media", key, "ObjectCreated:Put")); err != nil {
			t.Fatal(err)
		}
		if keys := f.blobs.Keys("uploads/"); len(keys) != 0 {
			t.Fatalf("%s: stray objects remain: %v", key, keys)
		}
	}
	if s := f.status(t, tr.ID); s != track.StatusPending {
		t.Fatalf("status = %s, want pending", s)
	}
}

// countingBlobs counts reads of originals: each processing run reads its original once.
type countingBlobs struct {
	*tracktest.MemBlobs
	gets atomic.Int32
	gate chan struct{}
}

func (b *countingBlobs) Get(ctx context.Context, key string) (io.ReadCloser, track.ObjectInfo, error) {
	if strings.HasPrefix(key, "uploads/") {
		b.gets.Add(1)
		<-b.gate
	}
	return b.MemBlobs.Get(ctx, key)
}

// TestRePutsDoNotMultiplyTranscodes: three events for one upload while its first run is under
// way (re-PUTs of the same bytes, or S3 delivering twice) start one transcode, not three.
func TestRePutsDoNotMultiplyTranscodes(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg")
	cb := &countingBlobs{MemBlobs: f.blobs, gate: make(chan struct{})}
	f.h.Blobs = cb
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	first := make(chan error, 1)
	go func() { first <- f.h.Handle(context.Background(), e) }()
	for cb.gets.Load() == 0 { // the first run is fetching the original
		time.Sleep(time.Millisecond)
	}
	for range 3 {
		if err := f.h.Handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	close(cb.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := cb.gets.Load(); n != 1 {
		t.Fatalf("the original was read by %d runs, want 1", n)
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("status = %s, want ready", s)
	}
}

// flakyBlobs fails Head as an S3 outage would.
type flakyBlobs struct{ *tracktest.MemBlobs }

func (flakyBlobs) Head(context.Context, string) (track.ObjectInfo, error) {
	return track.ObjectInfo{}, errors.New("503 SlowDown")
}

func TestTransientErrorIsReturnedForRetry(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	f.svc.Blobs = flakyBlobs{f.blobs}
	f.h.Blobs = f.svc.Blobs
	if err := f.h.Handle(context.Background(), event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err == nil {
		t.Fatal("a transient failure must fail the invocation so that Lambda retries it")
	}
	if s := f.status(t, tr.ID); s != track.StatusPending {
		t.Fatalf("status = %s", s)
	}
}

// multipart uploads data as a multipart upload completed with md5 (the whole file's, as its
// uploader computed it) and returns the track and the completion's event.
func (f *fixture) multipart(t *testing.T, data []byte, md5 string) (*track.Track, events.S3Event) {
	t.Helper()
	ctx := context.Background()
	f.svc.Config.MultipartThreshold, f.svc.Config.MinPartSize = 1000, 1<<20
	c, err := f.svc.Create(ctx, track.UploadRequest{Filename: "set.mp3", Type: "audio/mpeg", Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Track.Multipart() || c.Track.PartCount != 1 {
		t.Fatalf("track %+v, want a multipart upload of one part", c.Track)
	}
	etag, err := f.blobs.PutPart(c.Track.UploadID, 1, data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := f.svc.Complete(ctx, c.Track.ID, c.DeleteToken, []track.Part{{Number: 1, ETag: etag}}, md5)
	if err != nil {
		t.Fatal(err)
	}
	return tr, event(t, "media", tr.OriginalKey, "ObjectCreated:CompleteMultipartUpload")
}

func md5b64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestMultipartUploadChecksTheWholeMD5: no signature covered a multipart upload's whole bytes,
// so processing hashes them as it reads them: the right MD5 makes the track ready, another one
// fails it corrupt_upload with every object gone. The completion's event twice changes nothing.
func TestMultipartUploadChecksTheWholeMD5(t *testing.T) {
	data := song(t)
	t.Run("right md5", func(t *testing.T) {
		f := newFixture(t)
		tr, e := f.multipart(t, data, md5b64(data))
		for i := range 2 {
			if err := f.h.Handle(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			got, _ := f.store.Get(context.Background(), tr.ID)
			if got.Status != track.StatusReady || got.Version != 5 {
				t.Fatalf("after event %d: %s version %d, want ready at version 5 (md5, arrive, lease, playable, finish)", i+1, got.Status, got.Version)
			}
		}
	})
	t.Run("wrong md5", func(t *testing.T) {
		f := newFixture(t)
		tr, e := f.multipart(t, data, md5b64(append([]byte("x"), data[1:]...)))
		for i := range 2 {
			if err := f.h.Handle(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			got, _ := f.store.Get(context.Background(), tr.ID)
			if got.Status != track.StatusFailed || got.FailureCode != track.ECorruptUpload || got.FailureMessage == "" {
				t.Fatalf("after event %d: %+v, want failed %s", i+1, got, track.ECorruptUpload)
			}
		}
		if keys := f.blobs.Keys(""); len(keys) != 0 {
			t.Errorf("objects left after a corrupt upload: %q", keys)
		}
	})
}
