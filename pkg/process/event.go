package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event returns the S3 ObjectCreated event of an object as S3 sends it, for the sweeper to hand
// an original back to processing exactly as its lost event would have. It is built as JSON and
// decoded, so that URLDecodedKey is filled as in Lambda.
func Event(bucket, key string, size int64, at time.Time) (events.S3Event, error) {
	raw, err := eventJSON(bucket, key, size, at)
	if err != nil {
		return events.S3Event{}, err
	}
	var e events.S3Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return events.S3Event{}, fmt.Errorf("process: decode event: %w", err)
	}
	return e, nil
}

// RedriveMessage returns the process queue message that hands the original at key back to
// processing: the S3 event notification its lost event would have been, in the form S3 puts in
// the queue.
func RedriveMessage(bucket, key string, at time.Time) ([]byte, error) {
	return eventJSON(bucket, key, 0, at)
}

// Redriver is the userIdentity of the events the sweeper makes, so that a log tells them from
// S3's own.
const Redriver = "soundtime:sweep"

func eventJSON(bucket, key string, size int64, at time.Time) ([]byte, error) {
	raw, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1",
		"eventSource":  "aws:s3",
		"eventTime":    at.UTC().Format(time.RFC3339Nano),
		"eventName":    "ObjectCreated:Put",
		"userIdentity": map[string]any{"principalId": Redriver},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
			"object":          map[string]any{"key": EncodeKey(key), "size": size},
		},
	}}})
	if err != nil {
		return nil, fmt.Errorf("process: encode event: %w", err)
	}
	return raw, nil
}

// EncodeKey encodes an object key as S3 does in event notifications: form-style URL encoding
// (a space is '+') with the slashes kept.
func EncodeKey(k string) string {
	return strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
}

// Message is one message of the process queue, decoded.
type Message struct {
	// Test is S3's s3:TestEvent, which S3 sends when the bucket's notification is configured:
	// there is nothing to do.
	Test bool
	// Event is an S3 event notification: S3's own, or the sweeper's redrive (RedriveMessage).
	Event events.S3Event
}

// ErrBadMessage is returned by DecodeMessage for a body that is neither an S3 event notification
// nor S3's test event. Delivering it again cannot help.
var ErrBadMessage = errors.New("process: not an S3 event notification")

// maxRecords is the most records a message may carry. S3 puts one record in each notification
// and the sweeper does the same; a message with many would hold one invocation for many
// transcodes, past the function's timeout.
const maxRecords = 10

// DecodeMessage decodes the body of a process queue message: an S3 event notification whose
// every record names its source (aws:s3), event, bucket and key, or S3's test event. Anything
// else is ErrBadMessage, wrapped with what is wrong. Records of other events, buckets or
// prefixes pass: Handle ignores them as it does in S3's own events.
func DecodeMessage(body string) (Message, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &top); err != nil {
		return Message{}, fmt.Errorf("%w: not a JSON object: %v", ErrBadMessage, err)
	}
	if records := top["Records"]; len(records) == 0 || string(records) == "null" {
		var event string
		if json.Unmarshal(top["Event"], &event) == nil && event == "s3:TestEvent" {
			return Message{Test: true}, nil
		}
		return Message{}, fmt.Errorf("%w: no Records", ErrBadMessage)
	}
	var e events.S3Event
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	switch n := len(e.Records); {
	case n == 0:
		return Message{}, fmt.Errorf("%w: no Records", ErrBadMessage)
	case n > maxRecords:
		return Message{}, fmt.Errorf("%w: %d records, at most %d", ErrBadMessage, n, maxRecords)
	}
	for i, r := range e.Records {
		switch {
		case r.EventSource != "aws:s3":
			return Message{}, fmt.Errorf("%w: record %d: eventSource %q", ErrBadMessage, i, r.EventSource)
		case r.EventName == "":
			return Message{}, fmt.Errorf("%w: record %d: no eventName", ErrBadMessage, i)
		case r.S3.Bucket.Name == "" || r.S3.Object.Key == "":
			return Message{}, fmt.Errorf("%w: record %d: no bucket or key", ErrBadMessage, i)
		}
	}
	return Message{Event: e}, nil
}
