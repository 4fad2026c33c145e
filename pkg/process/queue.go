package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The process queue: S3 notifies it of every object created under uploads/, the sweeper sends
// it the redrives, and Lambda's event source mapping feeds the process function from it, one
// message an invocation, never more invocations at once than the mapping's MaximumConcurrency.
// A burst of uploads waits in the queue instead of starting as many 3 GB functions (and taking
// the account's concurrency from the API).
const (
	// QueueMaxReceives is the queue's redrive policy maxReceiveCount: a message received this
	// many times without being handled moves to the dead-letter queue. Five is what Lambda
	// advises for an SQS event source, so that invocations refused by throttling (which count
	// as receives) do not dead-letter a message; a track's own failures end sooner, since a
	// track gets track.MaxAttempts runs and then fails for good, which acknowledges its message.
	QueueMaxReceives = 5
	// queueVisibilityFactor: Lambda advises a visibility timeout of at least six times the
	// function's timeout, time for the mapping to retry an invocation that was throttled.
	queueVisibilityFactor = 6
	// maxVisibility is the longest visibility timeout SQS accepts.
	maxVisibility = 12 * time.Hour
)

// QueueVisibility is the process queue's visibility timeout for a function timeout: six times
// it (at most SQS's 12 hours). A message that a run reported failed comes back after it; the
// sweeper re-drives its track sooner (a failed run gives its lease back).
func QueueVisibility(functionTimeout time.Duration) time.Duration {
	return min(queueVisibilityFactor*functionTimeout, maxVisibility)
}

// HandleQueue is the process function's entry point: a batch of process queue messages (one,
// with the template's BatchSize), each an S3 event notification (S3's own or the sweeper's), or
// S3's test event. A message that failed for a reason a retry may fix (the table or the bucket
// did not answer, a panic) is named in BatchItemFailures, so that SQS delivers it again after
// its visibility timeout and, after QueueMaxReceives, moves it to the dead-letter queue. An
// upload the file is to blame for is recorded failed on its track and its message handled. A
// body that is not a notification at all is logged, counted (Discarded) and handled: no retry
// could change it. The error is always nil: a batch never fails whole.
func (h *Handler) HandleQueue(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	log := h.requestLog(ctx)
	var resp events.SQSEventResponse
	for _, m := range e.Records {
		receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		log := log.With(slog.String("messageId", m.MessageId), slog.Int("receiveCount", receives))
		if err := h.handleMessage(ctx, m.Body, log); err != nil {
			if receives >= QueueMaxReceives {
				log.Error("message failed its last receive: it moves to the dead-letter queue", slog.Any("error", err))
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// Discarded is how many messages HandleQueue dropped as not being notifications.
func (h *Handler) Discarded() int64 { return h.discarded.Load() }

// handleMessage handles one message; an error means it should be delivered again.
func (h *Handler) handleMessage(ctx context.Context, body string, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic while handling a message", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("process: panic: %v", p)
		}
	}()
	msg, err := DecodeMessage(body)
	switch {
	case errors.Is(err, ErrBadMessage):
		h.discarded.Add(1)
		log.Error("message discarded", slog.Any("error", err), slog.Int("bytes", len(body)))
		return nil
	case err != nil:
		return err
	case msg.Test:
		log.Info("S3 test event ignored")
		return nil
	}
	return h.handleEvent(ctx, msg.Event, log)
}
