package localaws_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/localaws"
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
