package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/track"
)

// The table's TTL and stream, emulated: dynalite has neither. A sweeper deletes expired items as
// DynamoDB's TTL does, deletes by token go through a Store that records them, and both become
// REMOVE records, shaped exactly like DynamoDB's, that one consumer hands the expire function in
// order, in batches, retrying failed records as the event source mapping would.

const (
	streamBatchSize   = 100                    // BatchSize of the event source mapping
	streamBatchWindow = 100 * time.Millisecond // MaximumBatchingWindowInSeconds, shortened
	streamRetries     = 5                      // MaximumRetryAttempts
)

// recordingStore is the table as the stream sees it: every successful delete by token becomes a
// REMOVE record without the TTL service's identity.
type recordingStore struct {
	*dynamo.Store
	emit func(old *track.Track, byTTL bool)
}

func (s recordingStore) Delete(ctx context.Context, id, tokenHash string) (*track.Track, error) {
	old, err := s.Store.Delete(ctx, id, tokenHash)
	if err == nil {
		s.emit(old, false)
	}
	return old, err
}

func (r *Runner) emit(old *track.Track, byTTL bool) {
	item, err := dynamo.Marshal(old)
	if err == nil {
		r.emitItem(item, byTTL)
		return
	}
	r.log.Error("stream record not made: the reconcile backstop will catch the objects", slog.String("id", old.ID), slog.String("error", err.Error()))
}

func (r *Runner) emitItem(item map[string]types.AttributeValue, byTTL bool) {
	rec, err := dynamo.RemoveRecord(item, dynamo.RecordOptions{
		Table: r.cfg.TableName, Region: localaws.Region, SequenceNumber: r.seq.Next(), At: time.Now(), ByTTL: byTTL,
	})
	if err != nil {
		r.log.Error("stream record not made", slog.String("error", err.Error()))
		return
	}
	select {
	case r.stream <- rec:
	case <-r.loops.Done():
	}
}

// ttlSweep runs the TTL emulation every TTL_SWEEP_INTERVAL until the runner stops.
func (r *Runner) ttlSweep() {
	defer r.work.Done()
	tick := time.NewTicker(r.cfg.TTLSweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.loops.Done():
			return
		case <-tick.C:
		}
		removed, err := r.env.Store.Sweep(r.loops, time.Now())
		if err != nil && r.loops.Err() == nil {
			r.log.Error("ttl sweep", slog.String("error", err.Error()))
		}
		for _, item := range removed {
			r.emitItem(item, true)
		}
	}
}

// consumeStream batches records for the expire function and retries those it reports failed.
func (r *Runner) consumeStream() {
	defer r.work.Done()
	for {
		var batch []events.DynamoDBEventRecord
		select {
		case <-r.loops.Done():
			return
		case rec := <-r.stream:
			batch = append(batch, rec)
		}
		window := time.After(streamBatchWindow)
	fill:
		for len(batch) < streamBatchSize {
			select {
			case rec := <-r.stream:
				batch = append(batch, rec)
			case <-window:
				break fill
			case <-r.loops.Done():
				break fill
			}
		}
		r.invokeExpire(batch)
	}
}

func (r *Runner) invokeExpire(batch []events.DynamoDBEventRecord) {
	for attempt := 0; len(batch) > 0; attempt++ {
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Minute)
		resp, err := r.expire.Handle(ctx, events.DynamoDBEvent{Records: batch})
		cancel()
		if err != nil {
			r.log.Error("expire invocation failed", slog.String("error", err.Error()))
		} else if len(resp.BatchItemFailures) == 0 {
			return
		} else {
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			var retry []events.DynamoDBEventRecord
			for _, rec := range batch {
				if failed[rec.Change.SequenceNumber] {
					retry = append(retry, rec)
				}
			}
			batch = retry
		}
		if attempt >= streamRetries {
			r.log.Error("stream records failed for good (on-failure queue); reconcile will remove their objects", slog.Int("records", len(batch)))
			return
		}
		select {
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		case <-r.ctx.Done():
			return
		}
	}
}

// reconcile runs the backstop once: at start, and on POST /_local/reconcile.
func (r *Runner) reconcile(ctx context.Context) (expire.Report, error) {
	rep, err := expire.Reconcile(ctx, r.env.Store, r.env.Bucket)
	if err != nil {
		r.log.Error("reconcile", slog.String("error", err.Error()))
		return rep, err
	}
	r.log.Info("reconciled", slog.Int("tracks", rep.Tracks), slog.Int("orphans", rep.Orphans), slog.Int("deleted", rep.Deleted))
	return rep, nil
}

func (r *Runner) serveReconcile(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	rep, err := r.reconcile(req.Context())
	if err != nil {
		http.Error(w, "reconcile failed; see the log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rep)
}
