package process_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// lambdaLog returns Lambda's own log handler (what app.Load gives every function) writing into
// a pipe, and a function that returns what it wrote. lambdacontext.NewLogHandler writes to
// os.Stdout as it is when it is made.
func lambdaLog(t *testing.T) (*slog.Logger, func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	h := lambdacontext.NewLogHandler()
	os.Stdout = stdout
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, r); close(done) }()
	return slog.New(h), func() string { w.Close(); <-done; return out.String() }
}

// Every line an event handler logs during an invocation, its metrics included, carries the
// invocation's request ID, once.
func TestLinesCarryTheRequestID(t *testing.T) {
	log, output := lambdaLog(t)
	svc := &track.Service{Store: tracktest.NewMemStore(), Blobs: tracktest.NewMemBlobs(), Config: track.Config{ProcessTimeout: 1}}
	h := &process.Handler{Tracks: svc, Blobs: svc.Blobs, Log: log, Bucket: "media",
		Metrics: &metrics.Emitter{Namespace: "Soundtime/test", Log: log}}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	resp, err := h.HandleQueue(ctx, events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: "not a notification"},
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("HandleQueue = %+v, %v", resp, err)
	}
	h.Metrics.Emit(ctx, nil, metrics.C(metrics.UploadsCompleted))
	lines := strings.Split(strings.TrimSpace(output()), "\n")
	if len(lines) < 2 {
		t.Fatalf("%d lines logged:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if n := strings.Count(l, "requestId=req-42"); n != 1 {
			t.Errorf("the request ID %d times in %s", n, l)
		}
	}
}
