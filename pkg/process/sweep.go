package process

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/track"
)

// Sweeper is the sweep function: on a schedule it hands uploads whose event was lost and runs
// that died back to processing, as their S3 event would, and fails what stays overdue
// (track.Service.Sweep). A redrive goes through the process queue like S3's own events, so it
// too waits for the queue's concurrency bound.
type Sweeper struct {
	Tracks *track.Service
	Bucket string
	Log    *slog.Logger
	// Send sends a message to the process queue (RedriveMessage: an S3 event notification).
	Send func(ctx context.Context, body []byte) error
	// Metrics, when set, counts the tracks the sweep failed.
	Metrics *metrics.Emitter
}

// Handle sweeps once and logs what it did. An error fails the invocation, so that the schedule's
// next run (and the alarm on the function's errors) notices; what it did finish stays done.
func (s *Sweeper) Handle(ctx context.Context) (track.SweepReport, error) {
	log := s.Log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With(slog.String("requestId", lc.AwsRequestID))
	}
	rep, err := s.Tracks.Sweep(ctx, track.SweepOptions{Redrive: s.redrive})
	if err != nil {
		log.Error("sweep incomplete", slog.Any("error", err), slog.Int("redriven", rep.Redriven), slog.Int("failed", rep.Failed))
		return rep, err
	}
	log.Info("swept", slog.Int("redriven", rep.Redriven), slog.Int("failed", rep.Failed))
	if rep.Failed > 0 {
		s.Metrics.Emit(ctx, map[string]string{"Code": track.EProcessingFailed},
			metrics.Metric{Name: metrics.ProcessingFailures, Unit: metrics.Count, Value: float64(rep.Failed)})
	}
	return rep, nil
}

func (s *Sweeper) redrive(ctx context.Context, key string) error {
	body, err := RedriveMessage(s.Bucket, key, time.Now())
	if err != nil {
		return err
	}
	return s.Send(ctx, body)
}
