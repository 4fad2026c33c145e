package localaws

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
)

// Notifications is the webhook Versity posts its bucket notifications to. Each becomes exactly
// the S3 event notification S3 would put in the process queue (S3Notification) and is handed to
// send, which must return only once the queue holds it: Versity gets its 200 after that, and a
// 503 when send failed (the sweep then re-drives the upload). A notification of no record of the
// bucket under uploads/ (Versity's start-up test event, other keys) is answered 200 and dropped,
// as the bucket's notification filter drops it in AWS.
func Notifications(bucket string, log *slog.Logger, send func(ctx context.Context, body []byte) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		msg, ok, err := S3Notification(body, bucket)
		switch {
		case err != nil:
			log.Error("unreadable bucket notification", slog.Any("error", err))
			http.Error(w, "unreadable notification", http.StatusBadRequest)
			return
		case !ok: // not Versity's start-up test event, nor records outside uploads/
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := send(req.Context(), msg); err != nil {
			log.Error("bucket notification not queued; the sweep will re-drive the upload", slog.Any("error", err))
			http.Error(w, "not queued", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// S3Event is S3Notification decoded as aws-lambda-go decodes it in Lambda.
func S3Event(body []byte, bucket string) (e events.S3Event, ok bool, err error) {
	norm, ok, err := S3Notification(body, bucket)
	if err != nil || !ok {
		return e, ok, err
	}
	if err := json.Unmarshal(norm, &e); err != nil {
		return e, false, err
	}
	return e, true, nil
}

// S3Notification normalises a Versity notification to the S3 event notification format (the
// body of the message S3 puts in a queue). Versity names events "s3:ObjectCreated:Put" where S3
// says "ObjectCreated:Put", sends keys raw where S3 URL-encodes them, and its bucket ARN is not
// the arn:aws:s3:::bucket form. Like the bucket's notification filter, it keeps only records of
// the media bucket under uploads/: Versity notifies every key, and in AWS nothing else reaches
// the queue. ok is false for notifications that carry no such records.
func S3Notification(body []byte, bucket string) (msg []byte, ok bool, err error) {
	var raw struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, false, err
	}
	raw.Records = slices.DeleteFunc(raw.Records, func(rec map[string]any) bool {
		s3, _ := rec["s3"].(map[string]any)
		b, _ := s3["bucket"].(map[string]any)
		o, _ := s3["object"].(map[string]any)
		name, _ := b["name"].(string)
		key, _ := o["key"].(string)
		return name != bucket || !strings.HasPrefix(key, track.UploadsPrefix)
	})
	if len(raw.Records) == 0 {
		return nil, false, nil
	}
	for _, rec := range raw.Records {
		if name, _ := rec["eventName"].(string); name != "" {
			rec["eventName"] = strings.TrimPrefix(name, "s3:")
		}
		rec["eventSource"] = "aws:s3"
		// Versity fills the Glacier restore times with "", which is no time at all.
		delete(rec, "glacierEventData")
		if s3, _ := rec["s3"].(map[string]any); s3 != nil {
			if o, _ := s3["object"].(map[string]any); o != nil {
				if k, _ := o["key"].(string); k != "" {
					o["key"] = process.EncodeKey(k)
				}
			}
			if b, _ := s3["bucket"].(map[string]any); b != nil {
				if name, _ := b["name"].(string); name != "" {
					b["arn"] = "arn:aws:s3:::" + name
				}
			}
		}
	}
	norm, err := json.Marshal(raw)
	if err != nil {
		return nil, false, err
	}
	return norm, true, nil
}
