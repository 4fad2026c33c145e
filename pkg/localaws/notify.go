package localaws

import (
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

// Notifications is the webhook Versity posts its bucket notifications to: each becomes exactly the
// S3 event Lambda would get (S3Event) and is handed to deliver, as S3 invokes a function
// asynchronously: the sender gets its 200 at once.
func Notifications(bucket string, log *slog.Logger, deliver func(events.S3Event)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		e, ok, err := S3Event(body, bucket)
		if err != nil {
			log.Error("unreadable bucket notification", slog.Any("error", err))
			return
		}
		if ok { // not Versity's start-up test event, nor records outside uploads/
			deliver(e)
		}
	})
}

// S3Event normalises a Versity notification to the S3 → Lambda event format. Versity names
// events "s3:ObjectCreated:Put" where S3 says "ObjectCreated:Put", and its bucket ARN is not the
// arn:aws:s3:::bucket form. Like the template's trigger, it keeps only records of the media
// bucket under uploads/: Versity notifies every key, and in AWS nothing else reaches the
// function. The result goes through JSON once more so that aws-lambda-go fills URLDecodedKey
// exactly as it does in Lambda. ok is false for events that carry no such records.
func S3Event(body []byte, bucket string) (e events.S3Event, ok bool, err error) {
	var raw struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return e, false, err
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
		return e, false, nil
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
		return e, false, err
	}
	if err := json.Unmarshal(norm, &e); err != nil {
		return e, false, err
	}
	return e, true, nil
}
