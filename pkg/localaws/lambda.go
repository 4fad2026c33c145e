package localaws

import (
	"context"
	"log/slog"
	"time"
)

// asyncDelays are the pauses before the attempts of an asynchronous invocation: Lambda makes
// three attempts, waiting about one and two minutes; here a second and two.
var asyncDelays = []time.Duration{0, time.Second, 2 * time.Second}

// InvokeAsync runs fn as Lambda runs an asynchronous invocation (S3's events, the sweep's
// redrives): on error two more attempts after a pause, each limited to Lambda's longest timeout,
// then the failure is logged where Lambda would send it to the OnFailure destination. It returns
// when done or when ctx is cancelled.
func InvokeAsync(ctx context.Context, log *slog.Logger, name string, fn func(context.Context) error) {
	var err error
	for attempt, d := range asyncDelays {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return
		}
		actx, cancel := context.WithTimeout(ctx, 15*time.Minute)
		err = fn(actx)
		cancel()
		if err == nil {
			return
		}
		log.Warn("invocation failed", slog.String("function", name), slog.Int("attempt", attempt+1), slog.Any("error", err))
	}
	log.Error("invocation failed for good (OnFailure destination)", slog.String("function", name), slog.Any("error", err))
}
