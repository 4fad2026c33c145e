package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
)

// TestBurstIsBoundedByProcessConcurrency: more uploads at once than PROCESS_CONCURRENCY wait in
// the process queue; the runner never runs more process invocations at once than that (its
// count of invocations under way, kept around the handler), it does run that many, and every
// track becomes ready with the queue and its dead-letter queue empty after.
func TestBurstIsBoundedByProcessConcurrency(t *testing.T) {
	const limit, uploads = 2, 6
	s, err := newStackWith(t.TempDir(), map[string]string{"PROCESS_CONCURRENCY": "2"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.client(t)
	// Long enough that one run lasts far longer than the uploads that follow it take.
	path := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 40})
	var ids []string
	for range uploads {
		ids = append(ids, c.upload(path, "audio/mpeg"))
	}
	for _, id := range ids {
		if m := c.waitDone(id); m["status"] != "ready" {
			t.Fatalf("track %s: %v", id, m)
		}
	}
	if peak := s.peak.Load(); peak > limit {
		t.Fatalf("%d process invocations ran at once; PROCESS_CONCURRENCY is %d", peak, limit)
	} else if peak < limit {
		t.Fatalf("at most %d process invocation ran at once for %d uploads: the bound was never reached, so this proves nothing", peak, uploads)
	}
	// A track is ready once its result is written, a moment before its invocation returns:
	// wait for the last ones to end rather than read the count at once.
	for deadline := time.Now().Add(30 * time.Second); s.running.Load() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d invocations still under way 30 s after every track was ready", s.running.Load())
		}
	}
	s.queueEmpty(t, s.processQueue.URL)
}

// TestProcessQueueDropsWhatIsNotANotification: S3's test event and garbage sent to the real
// process queue are taken off it (not retried into the dead-letter queue), the garbage counted.
func TestProcessQueueDropsWhatIsNotANotification(t *testing.T) {
	ctx := context.Background()
	before := shared.proc.Discarded()
	for _, body := range []string{
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T09:02:11.086Z","Bucket":"soundtime-media","RequestId":"5582815E1AEA5ADF","HostId":"x"}`,
		`hello`,
		`{"Records":[{"eventSource":"aws:sqs"}]}`,
	} {
		if err := shared.processQueue.Send(ctx, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(60 * time.Second); shared.proc.Discarded() < before+2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("discarded %d messages, want 2", shared.proc.Discarded()-before)
		}
	}
	shared.queueEmpty(t, shared.processQueue.URL)
}

// queueEmpty waits until the queue holds nothing, in flight or not, and checks that its
// dead-letter queue is empty too.
func (s *testStack) queueEmpty(t *testing.T, url string) {
	t.Helper()
	c := s.stack.SQS()
	count := func(url string) (visible, inFlight string) {
		out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		v, f := count(url)
		if v == "0" && f == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue still holds %s messages and %s in flight", v, f)
		}
	}
	if v, f := count(url + "-dlq"); v != "0" || f != "0" {
		t.Fatalf("the dead-letter queue holds %s (+%s in flight)", v, f)
	}
}
