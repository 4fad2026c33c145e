// Package expire removes every byte of a track once its item is gone from the table, whether
// DynamoDB's TTL removed it or its uploader deleted it: the table's stream delivers a REMOVE
// record and the handler deletes the track's objects. Reconcile is the backstop that finds
// objects whose track no longer exists (leftovers of a crash or a lost record) and deletes them.
package expire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/track"
)

// Handler is the expire function.
type Handler struct {
	Blobs track.Blobs
	Log   *slog.Logger
	// Withdraw, when set (federation on), queues the withdrawal of an announced track from the
	// fediverse: its followers' servers drop the post, whether it expired or was deleted.
	Withdraw func(ctx context.Context, id string) error
	// CountExpired, when set, counts down a track the TTL removed (given its old image), once
	// however often the record comes; a deletion by its uploader was counted by the delete.
	CountExpired func(ctx context.Context, old map[string]events.DynamoDBAttributeValue) error
}

// ttlPrincipal is the identity DynamoDB's TTL service writes on the records of its deletions.
const ttlPrincipal = "dynamodb.amazonaws.com"

// Handle deletes the objects of every track whose REMOVE record is in e. It reports the records
// it could not finish as batch item failures (by SequenceNumber, with a nil error), so that Lambda
// retries those and not the whole batch; deleting is idempotent, so a retried or repeated record
// is harmless.
func (h *Handler) Handle(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	log := withRequestID(ctx, h.Log)
	for _, r := range e.Records {
		if r.EventName != string(events.DynamoDBOperationTypeRemove) || !dynamo.IsTrack(r.Change.OldImage) {
			continue // not a track's removal (a set's, a members entry's: no objects)
		}
		id, err := recordID(r)
		if err != nil {
			// Not a track's record: retrying cannot help.
			log.Warn("record ignored", slog.Any("error", err), slog.String("sequenceNumber", r.Change.SequenceNumber))
			continue
		}
		reason := "deleted"
		if r.UserIdentity != nil && r.UserIdentity.Type == "Service" && r.UserIdentity.PrincipalID == ttlPrincipal {
			reason = "expired"
		}
		// The withdrawal first: a retried record queues it again (receivers drop a Note once),
		// whereas a record that succeeded is never seen again.
		if h.Withdraw != nil && announced(r) {
			if err := h.Withdraw(ctx, id); err != nil {
				log.Error("withdrawal not queued; the record will be retried", slog.String("id", id), slog.Any("error", err))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				continue
			}
		}
		if h.CountExpired != nil && reason == "expired" {
			if err := h.CountExpired(ctx, r.Change.OldImage); err != nil {
				log.Error("removal not counted; the record will be retried", slog.String("id", id), slog.Any("error", err))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				continue
			}
		}
		// A multipart upload still in progress first, so that no part lands after the purge
		// (a PUT of a part URL signed before then answers NoSuchUpload).
		if key, upload, ok := pendingUpload(r); ok {
			if err := h.Blobs.AbortMultipart(ctx, key, upload); err != nil {
				log.Error("multipart upload not aborted; the record will be retried", slog.String("id", id), slog.Any("error", err))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				continue
			}
			log.Info("multipart upload aborted", slog.String("id", id))
		}
		n, err := track.Purge(ctx, h.Blobs, id)
		if err != nil {
			log.Error("purge failed; the record will be retried", slog.String("id", id), slog.Any("error", err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			continue
		}
		log.Info("track purged", slog.String("id", id), slog.String("reason", reason), slog.Int("objects", n))
	}
	return resp, nil
}

// announced reports whether the removed item was a public track announced to the fediverse.
func announced(r events.DynamoDBEventRecord) bool {
	flag := func(name string) bool {
		v, ok := r.Change.OldImage[name]
		return ok && v.DataType() == events.DataTypeBoolean && v.Boolean()
	}
	return flag("public") && flag("announced")
}

// pendingUpload returns the key and upload ID of the multipart upload of a removed pending
// track; ok is false for any other track (a single PUT, or an upload already completed).
func pendingUpload(r events.DynamoDBEventRecord) (key, upload string, ok bool) {
	str := func(name string) string {
		v, ok := r.Change.OldImage[name]
		if !ok || v.DataType() != events.DataTypeString {
			return ""
		}
		return v.String()
	}
	key, upload = str("originalKey"), str("uploadId")
	if str("status") != string(track.StatusPending) || upload == "" || !strings.HasPrefix(key, track.UploadsPrefix) {
		return "", "", false
	}
	return key, upload, true
}

func recordID(r events.DynamoDBEventRecord) (string, error) {
	k, ok := r.Change.Keys["id"]
	if !ok || k.DataType() != events.DataTypeString {
		return "", errors.New("expire: record without a string id key")
	}
	if id := k.String(); track.ValidID(id) {
		return id, nil
	}
	return "", fmt.Errorf("expire: record key %q is not a track ID", k.String())
}

// withRequestID adds the Lambda request ID of ctx, if any, to every line of log.
func withRequestID(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return log.With(slog.String("requestId", lc.AwsRequestID))
	}
	return log
}

// Reconciler is the reconcile function: a schedule runs it (the local runner at start and on
// demand), and it logs and returns what it did.
type Reconciler struct {
	Store track.Store
	Blobs track.Blobs
	Log   *slog.Logger
}

// Handle runs Reconcile once.
func (r *Reconciler) Handle(ctx context.Context) (Report, error) {
	log := withRequestID(ctx, r.Log)
	rep, err := Reconcile(ctx, r.Store, r.Blobs)
	if err != nil {
		log.Error("reconcile incomplete", slog.Any("error", err), slog.Int("tracks", rep.Tracks), slog.Int("orphans", rep.Orphans), slog.Int("deleted", rep.Deleted))
		return rep, err
	}
	log.Info("reconciled", slog.Int("tracks", rep.Tracks), slog.Int("orphans", rep.Orphans), slog.Int("deleted", rep.Deleted))
	return rep, nil
}

// Report is what Reconcile did.
type Report struct {
	Tracks  int `json:"tracks"`  // distinct track IDs found in the bucket
	Orphans int `json:"orphans"` // of which had no item
	Deleted int `json:"deleted"` // objects deleted
}

// Reconcile deletes the objects of tracks that no longer exist in store. It never touches an
// object whose track has an item, whatever its status: a pending upload, a track being
// processed, a track past its expiry that the TTL has yet to remove (the stream will purge it).
func Reconcile(ctx context.Context, store track.Store, blobs track.Blobs) (Report, error) {
	var r Report
	seen := map[string]bool{}
	for _, prefix := range []string{track.UploadsPrefix, track.DerivedPrefix} {
		err := blobs.List(ctx, prefix, func(key string) error {
			id, ok := track.IDFromKey(key)
			if !ok {
				id, _, _ = strings.Cut(strings.TrimPrefix(key, prefix), "/")
				if !track.ValidID(id) {
					return nil // not ours to judge
				}
			}
			seen[id] = true
			return nil
		})
		if err != nil {
			return r, err
		}
	}
	r.Tracks = len(seen)
	for id := range seen {
		_, err := store.Get(ctx, id)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, track.ErrNotFound):
			return r, err
		}
		r.Orphans++
		n, err := track.Purge(ctx, blobs, id)
		r.Deleted += n
		if err != nil {
			return r, err
		}
	}
	return r, nil
}
