package process

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event returns the S3 ObjectCreated event of an object as S3 sends it to Lambda, for the sweeper
// to hand an original back to processing exactly as its lost event would have. It is built as
// JSON and decoded, so that URLDecodedKey is filled as in Lambda.
func Event(bucket, key string, size int64, at time.Time) (events.S3Event, error) {
	raw, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1",
		"eventSource":  "aws:s3",
		"eventTime":    at.UTC().Format(time.RFC3339Nano),
		"eventName":    "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
			"object":          map[string]any{"key": EncodeKey(key), "size": size},
		},
	}}})
	if err != nil {
		return events.S3Event{}, err
	}
	var e events.S3Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return events.S3Event{}, fmt.Errorf("process: decode event: %w", err)
	}
	return e, nil
}

// EncodeKey encodes an object key as S3 does in event notifications: form-style URL encoding
// (a space is '+') with the slashes kept.
func EncodeKey(k string) string {
	return strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
}
