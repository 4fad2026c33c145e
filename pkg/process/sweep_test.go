package process_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
)

// TestSweeperRedrivesThroughTheQueue: the message the sweep function sends to the process queue
// is an S3 event notification that the process function handles exactly like S3's own, and
// processing follows.
func TestSweeperRedrivesThroughTheQueue(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg") // stored; its event was lost
	f.now = f.now.Add(5 * time.Minute)
	var bodies []string
	s := &process.Sweeper{Tracks: f.svc, Bucket: "media", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Send: func(_ context.Context, body []byte) error { bodies = append(bodies, string(body)); return nil }}
	rep, err := s.Handle(context.Background())
	if err != nil || rep.Redriven != 1 || len(bodies) != 1 {
		t.Fatalf("Handle = %+v, %v with %d messages; want one redrive", rep, err, len(bodies))
	}
	m := sqsEvent(t, "sqs-sweep.json").Records[0]
	m.Body = bodies[0]
	resp, err := f.h.HandleQueue(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("HandleQueue = %+v, %v", resp, err)
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("status after the redriven message = %s, want ready", s)
	}
	if f.h.Discarded() != 0 {
		t.Fatal("the sweeper's message was discarded")
	}
}
