package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// sqsEvent loads an SQS event of testdata, or of events/ (the samples for sam local invoke).
func sqsEvent(t *testing.T, name string) events.SQSEvent {
	t.Helper()
	path := "testdata/" + name
	if name == "sqs-s3-put.json" {
		path = "../../events/" + name
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e events.SQSEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// uploadMessage is testdata's S3 notification in a queue message, pointed at bucket and key and
// given the message ID id.
func uploadMessage(t *testing.T, id, bucket, key string) events.SQSMessage {
	t.Helper()
	m := sqsEvent(t, "sqs-s3-put.json").Records[0]
	var body map[string]any
	if err := json.Unmarshal([]byte(m.Body), &body); err != nil {
		t.Fatal(err)
	}
	s3 := body["Records"].([]any)[0].(map[string]any)["s3"].(map[string]any)
	s3["bucket"].(map[string]any)["name"] = bucket
	s3["object"].(map[string]any)["key"] = process.EncodeKey(key)
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m.Body, m.MessageId = string(raw), id
	return m
}

func failedIDs(r events.SQSEventResponse) []string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestDecodeMessage(t *testing.T) {
	t.Run("S3 notification", func(t *testing.T) {
		m, err := process.DecodeMessage(sqsEvent(t, "sqs-s3-put.json").Records[0].Body)
		if err != nil || m.Test || len(m.Event.Records) != 1 {
			t.Fatalf("DecodeMessage = %+v, %v", m, err)
		}
		r := m.Event.Records[0]
		if r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != "soundtime-media-123456789012-us-east-1" ||
			r.S3.Object.URLDecodedKey != "uploads/Ab3dEf9Z/0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42" || r.S3.Object.Size != 4812345 {
			t.Fatalf("record = %+v", r)
		}
	})
	t.Run("S3 test event", func(t *testing.T) {
		m, err := process.DecodeMessage(sqsEvent(t, "sqs-s3-testevent.json").Records[0].Body)
		if err != nil || !m.Test || len(m.Event.Records) != 0 {
			t.Fatalf("DecodeMessage = %+v, %v; want the test event", m, err)
		}
	})
	t.Run("sweeper", func(t *testing.T) {
		body := sqsEvent(t, "sqs-sweep.json").Records[0].Body
		key := "uploads/Ab3dEf9Z/0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42"
		made, err := process.RedriveMessage("soundtime-media-123456789012-us-east-1", key, time.Date(2025, 11, 23, 9, 20, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if string(made) != body {
			t.Fatalf("RedriveMessage =\n%s\nwant testdata's\n%s", made, body)
		}
		m, err := process.DecodeMessage(body)
		if err != nil || len(m.Event.Records) != 1 {
			t.Fatalf("DecodeMessage = %+v, %v", m, err)
		}
		if r := m.Event.Records[0]; r.S3.Object.URLDecodedKey != key || r.PrincipalID.PrincipalID != process.Redriver {
			t.Fatalf("record = %+v", r)
		}
	})
	t.Run("sweeper, a key S3 would encode", func(t *testing.T) {
		key := "uploads/a b+c/ü x"
		made, err := process.RedriveMessage("media", key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		m, err := process.DecodeMessage(string(made))
		if err != nil || m.Event.Records[0].S3.Object.URLDecodedKey != key {
			t.Fatalf("DecodeMessage = %+v, %v", m, err)
		}
	})
	for _, r := range sqsEvent(t, "sqs-garbage.json").Records {
		t.Run("garbage: "+*r.MessageAttributes["case"].StringValue, func(t *testing.T) {
			m, err := process.DecodeMessage(r.Body)
			if !errors.Is(err, process.ErrBadMessage) {
				t.Fatalf("DecodeMessage = %+v, %v; want ErrBadMessage", m, err)
			}
		})
	}
}

// TestQueueUploadBecomesReady: S3's notification, in a queue message as Lambda delivers it, makes
// the track ready; delivered again, it changes nothing and is not a failure.
func TestQueueUploadBecomesReady(t *testing.T) {
	f := newFixture(t)
	tr := f.createWith(t, song(t), "audio/mpeg")
	e := events.SQSEvent{Records: []events.SQSMessage{uploadMessage(t, "m1", "media", tr.OriginalKey)}}
	resp, err := f.h.HandleQueue(context.Background(), e)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("HandleQueue = %+v, %v", resp, err)
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("status = %s, want ready", s)
	}
	before, _ := f.store.Get(context.Background(), tr.ID)
	f.now = f.now.Add(time.Minute)
	if resp, err := f.h.HandleQueue(context.Background(), e); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the same message again: %+v, %v", resp, err)
	}
	if after, _ := f.store.Get(context.Background(), tr.ID); !reflect.DeepEqual(before, after) {
		t.Fatalf("a duplicate changed the track:\n%+v\n%+v", before, after)
	}
}

// TestQueueIgnoresTestEventAndDropsGarbage: S3's test event and bodies that are not
// notifications are acknowledged (never retried), the garbage counted, nothing changed; a real
// notification in the same batch is processed.
func TestQueueIgnoresTestEventAndDropsGarbage(t *testing.T) {
	f := newFixture(t)
	pending := f.create(t)
	tr := f.createWith(t, song(t), "audio/mpeg")
	garbage := sqsEvent(t, "sqs-garbage.json").Records
	batch := append(slices.Clone(garbage), sqsEvent(t, "sqs-s3-testevent.json").Records[0], uploadMessage(t, "real", "media", tr.OriginalKey))
	resp, err := f.h.HandleQueue(context.Background(), events.SQSEvent{Records: batch})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("HandleQueue = %v, %v; want every message acknowledged", failedIDs(resp), err)
	}
	if n := f.h.Discarded(); n != int64(len(garbage)) {
		t.Fatalf("Discarded = %d, want %d", n, len(garbage))
	}
	if s := f.status(t, tr.ID); s != track.StatusReady {
		t.Fatalf("the real upload after the garbage: %s, want ready", s)
	}
	if s := f.status(t, pending.ID); s != track.StatusPending {
		t.Fatalf("an unrelated track became %s", s)
	}
}

// faultyHeads fails HeadObject of one key, as an S3 outage for it would, and panics on another,
// as a bug would.
type faultyHeads struct {
	*tracktest.MemBlobs
	fail, panic string
}

func (b faultyHeads) Head(ctx context.Context, key string) (track.ObjectInfo, error) {
	switch key {
	case b.fail:
		return track.ObjectInfo{}, errors.New("503 SlowDown")
	case b.panic:
		panic("a bug")
	}
	return b.MemBlobs.Head(ctx, key)
}

// TestQueueReportsOnlyTransientFailures: in one batch, a message whose S3 did not answer, one
// whose handling panicked, one whose file is bad and one that works: only the first two are
// batch item failures (SQS delivers them again), the bad file is recorded failed, the good one
// ready.
func TestQueueReportsOnlyTransientFailures(t *testing.T) {
	f := newFixture(t)
	flaky, broken, good := f.create(t), f.create(t), f.createWith(t, song(t), "audio/mpeg")
	bad := f.create(t)
	f.blobs.PutBytes(bad.OriginalKey, "text/html", make([]byte, 1234))
	for _, tr := range []*track.Track{flaky, broken} {
		f.blobs.Add(tr.OriginalKey, track.ObjectInfo{Size: 1234, ContentType: "audio/mpeg"})
	}
	f.svc.Blobs = faultyHeads{MemBlobs: f.blobs, fail: flaky.OriginalKey, panic: broken.OriginalKey}
	batch := []events.SQSMessage{
		uploadMessage(t, "flaky", "media", flaky.OriginalKey),
		uploadMessage(t, "broken", "media", broken.OriginalKey),
		uploadMessage(t, "bad", "media", bad.OriginalKey),
		uploadMessage(t, "good", "media", good.OriginalKey),
	}
	resp, err := f.h.HandleQueue(context.Background(), events.SQSEvent{Records: batch})
	if err != nil {
		t.Fatalf("HandleQueue error %v: a batch never fails whole", err)
	}
	if got := failedIDs(resp); !reflect.DeepEqual(got, []string{"broken", "flaky"}) {
		t.Fatalf("BatchItemFailures = %v, want [broken flaky]", got)
	}
	for tr, want := range map[*track.Track]track.Status{flaky: track.StatusPending, broken: track.StatusPending, bad: track.StatusFailed, good: track.StatusReady} {
		if s := f.status(t, tr.ID); s != want {
			t.Errorf("track %s = %s, want %s", tr.ID, s, want)
		}
	}
	if f.h.Discarded() != 0 {
		t.Errorf("Discarded = %d: failures are not garbage", f.h.Discarded())
	}
}

// The queue's settings follow the rules Lambda gives for an SQS event source.
func TestQueueSettings(t *testing.T) {
	if got := process.QueueVisibility(15 * time.Minute); got != 90*time.Minute {
		t.Errorf("QueueVisibility(15m) = %v, want six times the timeout", got)
	}
	if got := process.QueueVisibility(3 * time.Hour); got != 12*time.Hour {
		t.Errorf("QueueVisibility(3h) = %v, want SQS's 12 h at most", got)
	}
	if process.QueueMaxReceives < 5 || process.QueueMaxReceives <= track.MaxAttempts {
		t.Errorf("QueueMaxReceives = %d: Lambda advises at least 5, and more than a track's runs", process.QueueMaxReceives)
	}
}
