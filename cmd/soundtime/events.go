package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
)

// receiveS3Events takes Versity's bucket notifications, reshapes them into exactly what S3 sends
// Lambda, and invokes the process function in the background as an asynchronous Lambda
// invocation would: the sender gets its 200 at once.
func (r *Runner) receiveS3Events(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
	e, ok, err := toS3Event(body, r.cfg.MediaBucket)
	if err != nil {
		r.log.Error("unreadable bucket notification", slog.String("error", err.Error()))
		return
	}
	if !ok {
		return // Versity's start-up test event, or no records
	}
	r.work.Add(1)
	go func() {
		defer r.work.Done()
		r.invokeAsync("process", func(ctx context.Context) error { return r.proc.Handle(ctx, e) })
	}()
}

// toS3Event normalises a Versity notification to the S3 → Lambda event format. Versity names
// events "s3:ObjectCreated:Put" where S3 says "ObjectCreated:Put", and its bucket ARN is not the
// arn:aws:s3:::bucket form. Like the template's trigger, it keeps only records of the media
// bucket under uploads/: Versity notifies every key, and in AWS nothing else reaches the
// function. The result goes through JSON once more so that aws-lambda-go fills URLDecodedKey
// exactly as it does in Lambda. ok is false for events that carry no such records.
func toS3Event(body []byte, bucket string) (e events.S3Event, ok bool, err error) {
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

// invokeAsync runs fn as Lambda runs an asynchronous invocation: on error, two more attempts
// after a pause (Lambda waits one and two minutes; here a second and two), then the failure is
// logged where Lambda would send it to the OnFailure destination.
func (r *Runner) invokeAsync(name string, fn func(context.Context) error) {
	delays := []time.Duration{0, time.Second, 2 * time.Second}
	var err error
	for attempt, d := range delays {
		select {
		case <-time.After(d):
		case <-r.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(r.ctx, 15*time.Minute)
		err = fn(ctx)
		cancel()
		if err == nil {
			return
		}
		r.log.Warn("invocation failed", slog.String("function", name), slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
	}
	r.log.Error("invocation failed for good (OnFailure destination)", slog.String("function", name), slog.String("error", err.Error()))
}

// logWriter turns a child server's output lines into log records.
type logWriter struct {
	log *slog.Logger
}

func newLogWriter(log *slog.Logger, source string) io.Writer {
	return &logWriter{log: log.With(slog.String("source", source))}
}

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			w.log.Info(line)
		}
	}
	return len(p), nil
}
