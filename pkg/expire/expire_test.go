package expire_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func plant(b *tracktest.MemBlobs, id string) {
	for _, k := range []string{"uploads/" + id + "/u", "derived/" + id + "/preview.ogg", "derived/" + id + "/hls/seg00000.ts"} {
		b.PutBytes(k, "x", []byte("x"))
	}
}

// record loads the AWS-format TTL REMOVE record and points it at id.
func record(t *testing.T, id, seq string, ttl bool) events.DynamoDBEventRecord {
	t.Helper()
	file := "testdata/stream-delete-remove.json"
	if ttl {
		file = "testdata/stream-ttl-remove.json"
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.ReplaceAll(string(raw), "Ab3dEf9Z", id))
	var e events.DynamoDBEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	r := e.Records[0]
	r.Change.SequenceNumber = seq
	return r
}

func handler(b track.Blobs) *expire.Handler {
	return &expire.Handler{Blobs: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestOneFailingDelete: the response names exactly the failed record; rerunning it finishes the
// job; a second REMOVE for the same track is harmless.
func TestOneFailingDelete(t *testing.T) {
	b := tracktest.NewMemBlobs()
	ids := []string{"Aaaa00aa", "Bbbb00bb", "Cccc00cc"}
	for _, id := range ids {
		plant(b, id)
	}
	plant(b, "Keep00aa")
	b.DeleteHook = func(prefix string) error {
		if strings.Contains(prefix, "Bbbb00bb") {
			return errors.New("503 SlowDown")
		}
		return nil
	}
	e := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record(t, ids[0], "001", true), record(t, ids[1], "002", false), record(t, ids[2], "003", true),
	}}
	h := handler(b)
	resp, err := h.Handle(context.Background(), e)
	if err != nil {
		t.Fatalf("a partial failure is reported in the response, not as an error: %v", err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "002" {
		t.Fatalf("failures = %+v, want exactly 002", resp.BatchItemFailures)
	}
	for _, id := range []string{ids[0], ids[2]} {
		if k := b.Keys("derived/" + id); len(k) != 0 || len(b.Keys("uploads/"+id)) != 0 {
			t.Errorf("%s not purged: %v", id, k)
		}
	}
	b.DeleteHook = nil
	resp, _ = h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(t, ids[1], "002", false)}})
	if len(resp.BatchItemFailures) != 0 || len(b.Keys("derived/Bbbb00bb")) != 0 || len(b.Keys("uploads/Bbbb00bb")) != 0 {
		t.Fatalf("the retry did not finish: %+v %v", resp, b.Keys(""))
	}
	// The whole batch again: nothing left to delete, nothing fails.
	if resp, err := h.Handle(context.Background(), e); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a repeated batch: %+v %v", resp, err)
	}
	if got := b.Keys(""); len(got) != 3 || !strings.Contains(got[0], "Keep00aa") {
		t.Fatalf("another track's objects were touched: %v", got)
	}
}

func TestOtherRecordsIgnored(t *testing.T) {
	b := tracktest.NewMemBlobs()
	plant(b, "Aaaa00aa")
	insert := record(t, "Aaaa00aa", "1", false)
	insert.EventName = "INSERT"
	notAnID := record(t, "Aaaa00aa", "2", false)
	notAnID.Change.Keys = map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("../../etc")}
	resp, err := handler(b).Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{insert, notAnID}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(b.Keys("")) != 3 {
		t.Fatalf("objects deleted for records that are not removals of a track: %v", b.Keys(""))
	}
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	store, b := tracktest.NewMemStore(), tracktest.NewMemBlobs()
	live := tracktest.Sample("Live00aa", time.Now())
	if err := store.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	expired := tracktest.Sample("Old000aa", time.Now().Add(-time.Hour))
	if err := store.Create(ctx, expired); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"Live00aa", "Old000aa", "Orph00aa", "Orph00bb"} {
		plant(b, id)
	}
	b.PutBytes("other/readme.txt", "text/plain", []byte("not a track's"))
	rep, err := expire.Reconcile(ctx, store, b)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (expire.Report{Tracks: 4, Orphans: 2, Deleted: 6}) {
		t.Fatalf("report %+v", rep)
	}
	var left []string
	for _, k := range b.Keys("") {
		left = append(left, strings.SplitN(strings.SplitN(k, "/", 2)[1], "/", 2)[0])
	}
	slices.Sort(left)
	left = slices.Compact(left)
	if fmt.Sprint(left) != "[Live00aa Old000aa readme.txt]" {
		t.Fatalf("left objects of %v", left)
	}
	if rep, _ := expire.Reconcile(ctx, store, b); rep.Orphans != 0 {
		t.Fatalf("second reconcile %+v", rep)
	}
}

// TestWithdrawAnnounced: removing a public track that was announced queues its withdrawal, once
// per record (a retry queues it again, which receivers take once); a track never announced or
// never public queues nothing; a failure to queue retries the record and keeps its objects, so
// the withdrawal is never lost.
func TestWithdrawAnnounced(t *testing.T) {
	mark := func(r events.DynamoDBEventRecord, public, announced bool) events.DynamoDBEventRecord {
		img := map[string]events.DynamoDBAttributeValue{}
		for k, v := range r.Change.OldImage {
			img[k] = v
		}
		img["public"] = events.NewBooleanAttribute(public)
		if announced {
			img["announced"] = events.NewBooleanAttribute(true)
		} else {
			delete(img, "announced")
		}
		r.Change.OldImage = img
		return r
	}
	b := tracktest.NewMemBlobs()
	for _, id := range []string{"Pubann01", "Pubnot02", "Priv0003"} {
		plant(b, id)
	}
	var withdrawn []string
	fail := errors.New("queue unreachable")
	h := handler(b)
	h.Withdraw = func(_ context.Context, id string) error {
		if fail != nil {
			return fail
		}
		withdrawn = append(withdrawn, id)
		return nil
	}
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		mark(record(t, "Pubann01", "1", true), true, true),
		mark(record(t, "Pubnot02", "2", false), true, false),
		mark(record(t, "Priv0003", "3", true), false, true),
	}}
	resp, err := h.Handle(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "1" {
		t.Fatalf("with the queue down: %+v, %v; want only record 1 retried", resp, err)
	}
	if len(b.Keys("uploads/Pubann01/")) == 0 {
		t.Fatal("the announced track's objects went before its withdrawal was queued")
	}
	fail = nil
	resp, err = h.Handle(context.Background(), events.DynamoDBEvent{Records: batch.Records[:1]})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: %+v, %v", resp, err)
	}
	if !slices.Equal(withdrawn, []string{"Pubann01"}) {
		t.Fatalf("withdrawn %v, want only the announced public track", withdrawn)
	}
	if keys := b.Keys(""); len(keys) != 0 {
		t.Fatalf("objects left: %v", keys)
	}
}

// multipartRecord is the TTL's REMOVE of a pending multipart track whose upload is uploadID.
func multipartRecord(t *testing.T, key, uploadID string) events.DynamoDBEventRecord {
	t.Helper()
	raw, err := os.ReadFile("testdata/stream-ttl-remove-multipart.json")
	if err != nil {
		t.Fatal(err)
	}
	var e events.DynamoDBEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	r := e.Records[0]
	r.Change.OldImage["originalKey"] = events.NewStringAttribute(key)
	r.Change.OldImage["uploadId"] = events.NewStringAttribute(uploadID)
	return r
}

// abortFails is a bucket whose aborts fail.
type abortFails struct{ *tracktest.MemBlobs }

func (abortFails) AbortMultipart(context.Context, string, string) error {
	return errors.New("503 SlowDown")
}

// TestPendingMultipartUploadAborted: removing a pending multipart track aborts its upload, so no
// parts stay billed; the record again changes nothing; a failed abort retries the record.
func TestPendingMultipartUploadAborted(t *testing.T) {
	ctx := context.Background()
	b := tracktest.NewMemBlobs()
	const key = "uploads/Ab3dEf9Z/0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42"
	upload, err := b.CreateMultipart(ctx, key, "audio/flac")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutPart(upload, 1, []byte("part one")); err != nil {
		t.Fatal(err)
	}
	other, _ := b.CreateMultipart(ctx, "uploads/Keep00aa/x", "audio/flac")
	r := multipartRecord(t, key, upload)
	e := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}}

	resp, _ := handler(abortFails{b}).Handle(ctx, e)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != r.Change.SequenceNumber {
		t.Fatalf("failures = %+v, want the record retried", resp.BatchItemFailures)
	}
	h := handler(b)
	for i := range 2 {
		if resp, err := h.Handle(ctx, e); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handling %d: %+v %v", i+1, resp, err)
		}
		if _, err := b.ListParts(ctx, key, upload); !errors.Is(err, track.ErrNoSuchUpload) {
			t.Fatalf("after handling %d the upload is still in progress: %v", i+1, err)
		}
	}
	if got := b.InProgress(); !slices.Equal(got, []string{"uploads/Keep00aa/x"}) {
		t.Errorf("uploads in progress = %q, want only another track's", got)
	}
	if _, err := b.PutPart(other, 1, []byte("x")); err != nil {
		t.Errorf("another track's upload was touched: %v", err)
	}

	// A completed upload (the track was processing or ready) has nothing to abort.
	done := multipartRecord(t, "uploads/Done00aa/x", "gone")
	done.Change.OldImage["status"] = events.NewStringAttribute("ready")
	if resp, err := handler(abortFails{b}).Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{done}}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a ready multipart track: %+v %v (no abort should be tried)", resp, err)
	}
}
