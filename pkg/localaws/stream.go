package localaws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/track"
)

// The local stack has no DynamoDB TTL and no streams (dynalite implements neither), so the
// runner emulates both with ExpireItems and RemoveRecord: records shaped exactly like those
// DynamoDB Streams hands Lambda, so the expire function runs the same code locally as in AWS.

// RecordOptions describe a stream record's surroundings.
type RecordOptions struct {
	Table          string
	Region         string
	SequenceNumber string
	At             time.Time
	// ByTTL marks a deletion by DynamoDB's TTL service, which records it with the identity
	// {type: Service, principalId: dynamodb.amazonaws.com}; a DeleteItem call has none.
	ByTTL bool
}

// RemoveRecord returns the REMOVE record of a table whose stream view is OLD_IMAGE, for the
// deleted item old. It builds the record as DynamoDB Streams JSON and decodes it with
// aws-lambda-go, as Lambda does.
func RemoveRecord(old map[string]types.AttributeValue, o RecordOptions) (events.DynamoDBEventRecord, error) {
	image, err := streamJSON(old)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	id, ok := old["id"]
	if !ok {
		return events.DynamoDBEventRecord{}, fmt.Errorf("localaws: item without an id")
	}
	key, _ := streamValue(id)
	// SizeBytes approximates DynamoDB's item size by the image's JSON: names plus values.
	size, err := json.Marshal(image)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	var eventID [16]byte
	rand.Read(eventID[:])
	rec := map[string]any{
		"eventID":      hex.EncodeToString(eventID[:]),
		"eventName":    "REMOVE",
		"eventVersion": "1.1",
		"eventSource":  "aws:dynamodb",
		"awsRegion":    o.Region,
		"dynamodb": map[string]any{
			"ApproximateCreationDateTime": o.At.Unix(),
			"Keys":                        map[string]any{"id": key},
			"OldImage":                    image,
			"SequenceNumber":              o.SequenceNumber,
			"SizeBytes":                   len(size),
			"StreamViewType":              "OLD_IMAGE",
		},
		"eventSourceARN": fmt.Sprintf("arn:aws:dynamodb:%s:000000000000:table/%s/stream/2026-01-01T00:00:00.000", o.Region, o.Table),
	}
	if o.ByTTL {
		rec["userIdentity"] = map[string]any{"type": "Service", "principalId": "dynamodb.amazonaws.com"}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("localaws: decode emulated record: %w", err)
	}
	return r, nil
}

// streamJSON renders an item in the attribute-value JSON of DynamoDB Streams ({"S": "…"}, …).
func streamJSON(item map[string]types.AttributeValue) (map[string]any, error) {
	out := make(map[string]any, len(item))
	for k, v := range item {
		j, err := streamValue(v)
		if err != nil {
			return nil, fmt.Errorf("localaws: attribute %s: %w", k, err)
		}
		out[k] = j
	}
	return out, nil
}

func streamValue(v types.AttributeValue) (any, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}, nil
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}, nil
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}, nil
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}, nil
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}, nil
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}, nil
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}, nil
	case *types.AttributeValueMemberM:
		m, err := streamJSON(v.Value)
		return map[string]any{"M": m}, err
	case *types.AttributeValueMemberL:
		l := make([]any, 0, len(v.Value))
		for _, e := range v.Value {
			j, err := streamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, j)
		}
		return map[string]any{"L": l}, nil
	}
	return nil, fmt.Errorf("unsupported attribute type %T", v)
}

// SequenceNumbers hands out increasing stream sequence numbers, 21 digits like DynamoDB's. It is
// safe for concurrent use.
type SequenceNumbers struct{ n atomic.Uint64 }

// Next returns the next sequence number.
func (s *SequenceNumbers) Next() string {
	return fmt.Sprintf("%021s", strconv.FormatUint(s.n.Add(1), 10))
}

// The event source mapping of the template's expire function, shortened where it waits.
const (
	streamBatchSize   = 100                    // BatchSize
	streamBatchWindow = 100 * time.Millisecond // MaximumBatchingWindowInSeconds
	streamRetries     = 5                      // MaximumRetryAttempts
)

// Stream emulates a table's stream feeding a function through an event source mapping: REMOVE
// records in order, in batches of up to 100 gathered for a moment, the records a batch reports
// failed (partial batch response) retried with a pause, and given up after five retries, where
// the mapping would send them to its on-failure queue (the reconcile backstop then removes their
// objects).
type Stream struct {
	Table   string
	Handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	Log     *slog.Logger

	records chan events.DynamoDBEventRecord
	seq     SequenceNumbers
}

// NewStream returns the stream of table, delivering to handler.
func NewStream(table string, handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), log *slog.Logger) *Stream {
	return &Stream{Table: table, Handler: handler, Log: log, records: make(chan events.DynamoDBEventRecord, 1024)}
}

// Remove queues the REMOVE record of the deleted item old (byTTL: the TTL service deleted it). It
// blocks while the stream is full, and gives up when ctx is cancelled.
func (s *Stream) Remove(ctx context.Context, old map[string]types.AttributeValue, byTTL bool) {
	rec, err := RemoveRecord(old, RecordOptions{Table: s.Table, Region: Region, SequenceNumber: s.seq.Next(), At: time.Now(), ByTTL: byTTL})
	if err != nil {
		s.Log.Error("stream record not made: the reconcile backstop will catch the objects", slog.Any("error", err))
		return
	}
	select {
	case s.records <- rec:
	case <-ctx.Done():
	}
}

// Run hands records to the handler until loop is cancelled; each invocation runs under work,
// which the caller cancels later so that a batch under way may finish.
func (s *Stream) Run(loop, work context.Context) {
	for {
		var batch []events.DynamoDBEventRecord
		select {
		case <-loop.Done():
			return
		case rec := <-s.records:
			batch = append(batch, rec)
		}
		window := time.After(streamBatchWindow)
	fill:
		for len(batch) < streamBatchSize {
			select {
			case rec := <-s.records:
				batch = append(batch, rec)
			case <-window:
				break fill
			case <-loop.Done():
				break fill
			}
		}
		s.deliver(work, batch)
	}
}

func (s *Stream) deliver(work context.Context, batch []events.DynamoDBEventRecord) {
	for attempt := 0; len(batch) > 0; attempt++ {
		ctx, cancel := context.WithTimeout(work, 5*time.Minute)
		resp, err := s.Handler(ctx, events.DynamoDBEvent{Records: batch})
		cancel()
		switch {
		case err != nil:
			s.Log.Error("stream invocation failed", slog.Any("error", err))
		case len(resp.BatchItemFailures) == 0:
			return
		default:
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
			s.Log.Error("stream records failed for good (on-failure queue); reconcile will remove their objects", slog.Int("records", len(batch)))
			return
		}
		select {
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		case <-work.Done():
			return
		}
	}
}

// StreamingStore is the tracks table as its stream sees it: every delete by token becomes a
// REMOVE record without the TTL service's identity, as DynamoDB Streams records a DeleteItem.
type StreamingStore struct {
	*dynamo.Store
	Stream *Stream
	// Ctx bounds how long a delete waits for room in the stream (the runner's life).
	Ctx context.Context
}

// Delete implements track.Store.
func (s StreamingStore) Delete(ctx context.Context, id, tokenHash string) (*track.Track, error) {
	old, err := s.Store.Delete(ctx, id, tokenHash)
	if err != nil {
		return old, err
	}
	item, merr := dynamo.Marshal(old)
	if merr != nil {
		s.Stream.Log.Error("stream record not made: the reconcile backstop will catch the objects", slog.String("id", id), slog.Any("error", merr))
		return old, nil
	}
	s.Stream.Remove(s.Ctx, item, false)
	return old, nil
}

var _ track.Store = StreamingStore{}
