package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/process"
)

// TestToS3EventMatchesAWS normalises a notification captured from Versity and compares the fields
// the process function reads with the same notification as AWS sends it.
func TestToS3EventMatchesAWS(t *testing.T) {
	raw, err := os.ReadFile("testdata/versity-put.json")
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := localaws.S3Event(raw, "bkt")
	if err != nil || !ok {
		t.Fatalf("toS3Event: ok=%v err=%v", ok, err)
	}
	awsRaw, err := os.ReadFile("testdata/s3-put-aws.json")
	if err != nil {
		t.Fatal(err)
	}
	var want events.S3Event
	if err := json.Unmarshal(awsRaw, &want); err != nil {
		t.Fatal(err)
	}
	g, w := got.Records[0], want.Records[0]
	for _, c := range []struct{ name, got, want string }{
		{"eventName", g.EventName, w.EventName},
		{"eventSource", g.EventSource, w.EventSource},
		{"bucket", g.S3.Bucket.Name, w.S3.Bucket.Name},
		{"bucket ARN", g.S3.Bucket.Arn, w.S3.Bucket.Arn},
		{"key", g.S3.Object.Key, w.S3.Object.Key},
		{"decoded key", g.S3.Object.URLDecodedKey, w.S3.Object.URLDecodedKey},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if g.S3.Object.URLDecodedKey != "uploads/a b+c/ü x" {
		t.Errorf("decoded key = %q", g.S3.Object.URLDecodedKey)
	}
	if g.S3.Object.Size != w.S3.Object.Size || g.EventTime.IsZero() {
		t.Errorf("size %d, time %v", g.S3.Object.Size, g.EventTime)
	}
}

func TestToS3EventIgnoresTestEvent(t *testing.T) {
	_, ok, err := localaws.S3Event([]byte(`{"Bucket":"Test-Bucket","Event":"s3:TestEvent","Service":"S3","Time":"2026-11-23T09:10:48Z"}`), "soundtime-media")
	if err != nil || ok {
		t.Fatalf("test event: ok=%v err=%v, want ignored", ok, err)
	}
	if _, _, err := localaws.S3Event([]byte(`not json`), "soundtime-media"); err == nil {
		t.Fatal("garbage accepted")
	}
}

// TestToS3EventKeepsOnlyUploads: the template filters the S3 trigger to uploads/ of the media
// bucket; Versity notifies every key, so the runner filters the same way.
func TestToS3EventKeepsOnlyUploads(t *testing.T) {
	raw, err := os.ReadFile("testdata/versity-put.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rec := doc["Records"].([]any)[0].(map[string]any)
	object := rec["s3"].(map[string]any)["object"].(map[string]any)
	rec["s3"].(map[string]any)["bucket"].(map[string]any)["name"] = "soundtime-media"
	for _, tt := range []struct {
		key, bucket string
		keep        bool
	}{
		{"uploads/Ab3dEf9Z/x", "soundtime-media", true},
		{"derived/Ab3dEf9Z/preview.ogg", "soundtime-media", false},
		{"elsewhere/uploads/x", "soundtime-media", false},
		{"uploads/Ab3dEf9Z/x", "another-bucket", false},
	} {
		object["key"] = tt.key
		body, _ := json.Marshal(doc)
		e, ok, err := localaws.S3Event(body, tt.bucket)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tt.keep || (ok && len(e.Records) != 1) {
			t.Errorf("%s in %s: kept %v (%d records), want %v", tt.key, tt.bucket, ok, len(e.Records), tt.keep)
		}
	}
}

// TestNotificationsQueueBeforeAnswering: the webhook answers Versity only after send returned,
// with the normalised notification the process function decodes; a failed send is a 503; the
// test event and other keys are answered without a message, garbage with a 400.
func TestNotificationsQueueBeforeAnswering(t *testing.T) {
	raw, err := os.ReadFile("testdata/versity-put.json")
	if err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	var fail error
	hook := localaws.Notifications("bkt", slog.New(slog.DiscardHandler), func(_ context.Context, body []byte) error {
		if fail != nil {
			return fail
		}
		sent = append(sent, body)
		return nil
	})
	post := func(body string) int {
		w := httptest.NewRecorder()
		hook.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		return w.Code
	}
	if code := post(string(raw)); code != 200 || len(sent) != 1 {
		t.Fatalf("an upload's notification: %d with %d messages, want 200 after one", code, len(sent))
	}
	m, err := process.DecodeMessage(string(sent[0]))
	if err != nil || len(m.Event.Records) != 1 {
		t.Fatalf("the queued message decodes to %+v, %v", m, err)
	}
	if r := m.Event.Records[0]; r.EventName != "ObjectCreated:Put" || r.S3.Object.URLDecodedKey != "uploads/a b+c/ü x" || r.S3.Bucket.Arn != "arn:aws:s3:::bkt" {
		t.Fatalf("queued record %+v", r)
	}
	fail = errors.New("connection refused")
	if code := post(string(raw)); code != 503 {
		t.Fatalf("a notification that could not be queued: %d, want 503", code)
	}
	fail = nil
	for body, want := range map[string]int{
		`{"Bucket":"Test-Bucket","Event":"s3:TestEvent","Service":"S3","Time":"2026-11-23T09:10:48Z"}`: 200,
		strings.Replace(string(raw), `"key": "uploads/`, `"key": "derived/`, 1):                        200,
		`not json`: 400,
	} {
		if code := post(body); code != want {
			t.Errorf("%.40s: %d, want %d", body, code, want)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("%d messages, want only the upload's", len(sent))
	}
}

// TestCompleteMultipartNotification: Versity's notification of a completed multipart upload
// becomes S3's ObjectCreated:CompleteMultipartUpload record, which the process function takes
// like a PUT's. Versity reports the object's size as 0 in it (AWS reports the real size): the
// process function never reads the size of an event, it asks storage (HeadObject).
func TestCompleteMultipartNotification(t *testing.T) {
	raw, err := os.ReadFile("testdata/versity-complete-multipart.json")
	if err != nil {
		t.Fatal(err)
	}
	msg, ok, err := localaws.S3Notification(raw, "bkt")
	if err != nil || !ok {
		t.Fatalf("S3Notification: ok=%v err=%v", ok, err)
	}
	m, err := process.DecodeMessage(string(msg))
	if err != nil || len(m.Event.Records) != 1 {
		t.Fatalf("the queued message decodes to %+v, %v", m, err)
	}
	r := m.Event.Records[0]
	for _, c := range []struct{ name, got, want string }{
		{"eventName", r.EventName, "ObjectCreated:CompleteMultipartUpload"},
		{"eventSource", r.EventSource, "aws:s3"},
		{"bucket ARN", r.S3.Bucket.Arn, "arn:aws:s3:::bkt"},
		{"key", r.S3.Object.Key, "uploads/a+b%2Bc/%C3%BC+x"},
		{"decoded key", r.S3.Object.URLDecodedKey, "uploads/a b+c/ü x"},
		{"ETag", r.S3.Object.ETag, `"c2e296e9967a2587c16c4638745ac5f1-2"`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if r.S3.Object.Size != 0 {
		t.Errorf("size = %d: Versity now reports the size; NOTES.md and this test say 0", r.S3.Object.Size)
	}
}
