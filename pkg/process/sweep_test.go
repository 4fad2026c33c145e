package process_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
)

// TestSweeperRedrivesThroughTheProcessFunction: the payload the sweep function sends is an S3
// event that the process function handles exactly like S3's own, and processing follows.
func TestSweeperRedrivesThroughTheProcessFunction(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg") // stored; its event was lost
	f.now = f.now.Add(5 * time.Minute)
	var payloads [][]byte
	s := &process.Sweeper{Tracks: f.svc, Bucket: "media", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Process: func(_ context.Context, p []byte) error { payloads = append(payloads, p); return nil }}
	rep, err := s.Handle(context.Background())
	if err != nil || rep.Redriven != 1 || len(payloads) != 1 {
		t.Fatalf("Handle = %+v, %v with %d payloads; want one redrive", rep, err, len(payloads))
	}
	var e events.S3Event
	if err := json.Unmarshal(payloads[0], &e); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("status after the redriven event = %s, want ready", s)
	}
}
