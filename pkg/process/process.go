// Package process handles S3 ObjectCreated events for originals under uploads/: it checks that
// the object is the upload a pending track announced and moves the track on. Delivery is at
// least once and unordered, so every step is idempotent: a duplicate or late event changes
// nothing.
package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/track"
)

// Handler is the process function.
type Handler struct {
	Tracks *track.Service
	Log    *slog.Logger
	// Bucket is the media bucket. Events of any other bucket are ignored: the permission SAM
	// grants S3 to invoke the function is scoped to the account, not to one bucket.
	Bucket string
	Media  Media
}

// Handle processes every record of e. It returns an error only for transient failures (the
// table or bucket did not answer), so that Lambda retries the event; an unusable upload is
// recorded on its track as a failure and is not an error of the handler.
func (h *Handler) Handle(ctx context.Context, e events.S3Event) error {
	var errs []error
	for _, r := range e.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key := objectKey(r.S3.Object)
		log := h.Log.With(slog.String("key", key), slog.String("event", r.EventName))
		if r.S3.Bucket.Name != h.Bucket {
			log.Warn("event of another bucket ignored", slog.String("bucket", r.S3.Bucket.Name))
			continue
		}
		if err := h.handleKey(ctx, key, log); err != nil {
			log.Error("upload not handled; will retry", slog.String("error", err.Error()))
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("process: %d of %d records failed: %w", len(errs), len(e.Records), errors.Join(errs...))
	}
	return nil
}

// handleKey verifies a new original (pending → processing) and processes it. An event for a
// track that is already processing is a retry of an invocation that failed midway, or a
// duplicate: either way processing again writes the same objects and one result is recorded.
func (h *Handler) handleKey(ctx context.Context, key string, log *slog.Logger) error {
	t, err := h.Tracks.MarkUploaded(ctx, key)
	switch {
	case err != nil:
		return err
	case t != nil && t.Status == track.StatusFailed:
		log.Warn("upload refused", slog.String("id", t.ID), slog.String("code", t.FailureCode))
		return nil
	case t != nil:
		log.Info("upload verified", slog.String("id", t.ID))
	}
	t, err = h.Tracks.BeginProcessing(ctx, key)
	if err != nil || t == nil {
		if t == nil && err == nil {
			log.Info("nothing to do: duplicate event, late event or no such track")
		}
		return err
	}
	return h.process(ctx, t, log.With(slog.String("id", t.ID)))
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
