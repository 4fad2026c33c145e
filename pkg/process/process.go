// Package process handles S3 ObjectCreated events for originals under uploads/, which reach it
// through the process queue (HandleQueue), never more at once than the queue's event source
// allows: it checks that the object is the upload a pending track announced, takes the track's
// processing lease and makes everything a listener gets from it. Delivery is at least once, late
// and unordered, and a run may die at any moment, so every step is idempotent and conditional: a
// duplicate or late event changes nothing, and the sweeper (track.Service.Sweep) re-drives what
// a lost event or a dead run left behind.
package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/track"
)

// Handler is the process function.
type Handler struct {
	Tracks *track.Service
	// Blobs is the media bucket the outputs go to and the original comes from.
	Blobs track.Blobs
	Log   *slog.Logger
	// Bucket is the media bucket. Events of any other bucket are ignored: the permission SAM
	// grants S3 to invoke the function is scoped to the account, not to one bucket.
	Bucket string
	Media  Media
	// Announce, when set (federation on), queues the announcement of a public track before it
	// is recorded ready: if recording then fails, the retry announces again under the same
	// activity id, which receivers take once; the other order could lose it for good.
	Announce func(ctx context.Context, t *track.Track) error
	// Metrics, when set, records uploads processed, tracks ready (time and speed by format) and
	// failures by code.
	Metrics *metrics.Emitter

	discarded atomic.Int64 // messages HandleQueue dropped as not being notifications

}

// Handle processes every record of e, an S3 event notification (HandleQueue decodes it from a
// queue message). It returns an error only for transient failures (the table or bucket did not
// answer), so that the message is delivered again; an unusable upload is recorded on its track
// as a failure and is not an error of the handler.
func (h *Handler) Handle(ctx context.Context, e events.S3Event) error {
	return h.handleEvent(ctx, e, h.requestLog(ctx))
}

// requestLog is the handler's log with the Lambda request ID, when there is one.
func (h *Handler) requestLog(ctx context.Context) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return h.Log.With(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Log
}

func (h *Handler) handleEvent(ctx context.Context, e events.S3Event, log *slog.Logger) error {
	var errs []error
	for _, r := range e.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key := objectKey(r.S3.Object)
		log := log.With(slog.String("key", key), slog.String("event", r.EventName), slog.String("from", r.PrincipalID.PrincipalID))
		if r.S3.Bucket.Name != h.Bucket {
			log.Warn("event of another bucket ignored", slog.String("bucket", r.S3.Bucket.Name))
			continue
		}
		if err := h.handleKey(ctx, key, log); err != nil {
			log.Error("upload not handled; will retry", slog.Any("error", err))
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("process: %d of %d records failed: %w", len(errs), len(e.Records), errors.Join(errs...))
	}
	return nil
}

// handleKey verifies a new original (pending → processing), takes the track's lease and
// processes it. An event for a track that a live run holds returns at once: a re-PUT of the same
// bytes, or a duplicate event, never starts a second transcode.
func (h *Handler) handleKey(ctx context.Context, key string, log *slog.Logger) error {
	t, err := h.Tracks.Arrive(ctx, key)
	switch {
	case errors.Is(err, track.ErrStray):
		log.Info("object of no upload in progress deleted")
		return nil
	case errors.Is(err, track.ErrNoWork):
		log.Info("nothing to do: duplicate or late event")
		return nil
	case err != nil:
		return err
	case t.Status == track.StatusFailed:
		log.Warn("upload refused", slog.String("id", t.ID), slog.String("code", t.FailureCode))
		h.Metrics.Emit(ctx, map[string]string{"Code": t.FailureCode}, metrics.C(metrics.ProcessingFailures))
		return nil
	}
	log = log.With(slog.String("id", t.ID))
	run, err := h.Tracks.Begin(ctx, t)
	switch {
	case errors.Is(err, track.ErrBusy):
		log.Info("a live run is processing this track")
		return nil
	case errors.Is(err, track.ErrNoWork):
		log.Info("nothing to do: the track moved on")
		return nil
	case errors.Is(err, track.ErrGaveUp):
		log.Warn("processing gave up: runs used up or deadline passed", slog.String("code", track.EProcessingFailed))
		h.Metrics.Emit(ctx, map[string]string{"Code": track.EProcessingFailed}, metrics.C(metrics.ProcessingFailures))
		return nil
	case err != nil:
		return err
	}
	if run.Attempts == 1 {
		h.Metrics.Emit(ctx, nil, metrics.C(metrics.UploadsCompleted))
	}
	log = log.With(slog.Int("attempt", run.Attempts))
	if err := h.process(ctx, run, log); err != nil {
		// A retry may fix it: give the lease back so that the retry starts at once.
		if rerr := h.Tracks.Release(context.WithoutCancel(ctx), run); rerr != nil {
			log.Warn("lease not released; it lapses by itself", slog.Any("error", rerr))
		}
		return err
	}
	return nil
}

// objectKey returns the decoded key of an event. S3 sends keys URL-encoded with '+' for spaces;
// events.S3Object decodes it when unmarshalled from JSON (URLDecodedKey), but a hand-built event
// would carry only Key.
func objectKey(o events.S3Object) string {
	if o.URLDecodedKey != "" {
		return o.URLDecodedKey
	}
	if k, err := url.QueryUnescape(o.Key); err == nil {
		return k
	}
	return o.Key
}
