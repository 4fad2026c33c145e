package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

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

func newFixture(t *testing.T) *fixture {
	f := &fixture{store: tracktest.NewMemStore(), blobs: tracktest.NewMemBlobs(), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f.svc = track.NewService(f.store, f.blobs, track.Config{
		Retention: 336 * time.Hour, PendingTTL: 10 * time.Minute, FailedTTL: 24 * time.Hour,
		MaxUploadBytes: 1 << 30, UploadURLTTL: 10 * time.Minute, MediaURLTTL: 30 * time.Minute,
	})
	f.svc.Now = func() time.Time { return f.now }
	f.h = &process.Handler{Tracks: f.svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bucket: "media"}
	return f
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
func event(t *testing.T, bucket, key, name string) events.S3Event {
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

func TestUploadMovesToProcessing(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	f.blobs.Put(tr.OriginalKey, track.ObjectInfo{Size: 1234, ContentType: "audio/mpeg"})
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if s := f.status(t, tr.ID); s != track.StatusProcessing {
		t.Fatalf("status = %s", s)
	}
	// The same event again, later: nothing changes.
	before, _ := f.store.Get(context.Background(), tr.ID)
	f.now = f.now.Add(time.Hour)
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.Get(context.Background(), tr.ID)
	if !after.UploadedAt.Equal(before.UploadedAt) || !after.ExpiresAt.Equal(before.ExpiresAt) {
		t.Fatalf("a duplicate event changed the item: %+v → %+v", before, after)
	}
}

func TestIgnoredEvents(t *testing.T) {
	f := newFixture(t)
	tr := f.create(t)
	f.blobs.Put(tr.OriginalKey, track.ObjectInfo{Size: 1234, ContentType: "audio/mpeg"})
	cases := []struct{ name, bucket, key, event string }{
		{"another bucket", "not-ours", tr.OriginalKey, "ObjectCreated:Put"},
		{"a removal", "media", tr.OriginalKey, "ObjectRemoved:Delete"},
		{"no such track", "media", "uploads/Zz9Zz9Zz/x", "ObjectCreated:Put"},
		{"outside uploads/", "media", "derived/" + tr.ID + "/preview.ogg", "ObjectCreated:Put"},
		{"another key of the track", "media", "uploads/" + tr.ID + "/other", "ObjectCreated:Put"},
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
	f.blobs.Put(tr.OriginalKey, track.ObjectInfo{Size: 1234, ContentType: "text/html"})
	if err := f.h.Handle(context.Background(), event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err != nil {
		t.Fatalf("a bad upload is not a handler error (Lambda would retry it): %v", err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusFailed || got.FailureCode != track.EUploadMismatch || !got.ExpiresAt.Equal(f.now.Add(24*time.Hour)) {
		t.Fatalf("got %+v", got)
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
	if err := f.h.Handle(context.Background(), event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err == nil {
		t.Fatal("a transient failure must fail the invocation so that Lambda retries it")
	}
	if s := f.status(t, tr.ID); s != track.StatusPending {
		t.Fatalf("status = %s", s)
	}
}
