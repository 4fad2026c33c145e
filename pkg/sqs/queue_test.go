package sqs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	queue "github.com/soundtime/soundtime/pkg/sqs"
)

// fakeAPI is an SQS whose answers the test writes.
type fakeAPI struct {
	send       func(*sqs.SendMessageInput) (*sqs.SendMessageOutput, error)
	batch      func(*sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
	visibility func(*sqs.ChangeMessageVisibilityInput) (*sqs.ChangeMessageVisibilityOutput, error)
}

func (f *fakeAPI) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return f.send(in)
}

func (f *fakeAPI) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return f.batch(in)
}

func (f *fakeAPI) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return f.visibility(in)
}

const url = "https://sqs.us-east-1.amazonaws.com/123456789012/deliver"

func bodies(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b := []byte(fmt.Sprintf("m%d:", i))
		out[i] = append(b, bytes.Repeat([]byte("x"), max(0, size-len(b)))...)
	}
	return out
}

// recorder keeps every batch call's bodies; fail decides, per call, which entries SQS fails.
type recorder struct {
	calls [][]string
	fail  func(call int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry
}

func (r *recorder) api() *fakeAPI {
	return &fakeAPI{batch: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		if aws.ToString(in.QueueUrl) != url {
			return nil, fmt.Errorf("queue %q", aws.ToString(in.QueueUrl))
		}
		var got []string
		out := &sqs.SendMessageBatchOutput{}
		ids := map[string]bool{}
		for _, e := range in.Entries {
			if ids[aws.ToString(e.Id)] {
				return nil, errors.New("BatchEntryIdsNotDistinct")
			}
			ids[aws.ToString(e.Id)] = true
			got = append(got, aws.ToString(e.MessageBody))
			if r.fail != nil {
				if f := r.fail(len(r.calls), e); f != nil {
					f.Id = e.Id
					out.Failed = append(out.Failed, *f)
					continue
				}
			}
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("id-" + aws.ToString(e.Id))})
		}
		r.calls = append(r.calls, got)
		return out, nil
	}}
}

func sizes(calls [][]string) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c))
	}
	return n
}

func TestSendBatchChunks(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    [][]byte
		calls []int
	}{
		{"none", nil, nil},
		{"one", bodies(1, 10), []int{1}},
		{"ten", bodies(10, 10), []int{10}},
		{"23 by tens", bodies(23, 10), []int{10, 10, 3}},
		{"by size", bodies(5, 100<<10), []int{2, 2, 1}},
		{"a body over the limit goes alone", append(bodies(1, 10), bytes.Repeat([]byte("y"), queue.MaxBatchBytes+1)), []int{1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{}
			q := &queue.Queue{API: r.api(), URL: url}
			if err := q.SendBatch(context.Background(), c.in); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes(r.calls), c.calls) {
				t.Fatalf("calls of %v messages, want %v", sizes(r.calls), c.calls)
			}
			var sent []string
			for _, call := range r.calls {
				sent = append(sent, call...)
			}
			var want []string
			for _, b := range c.in {
				want = append(want, string(b))
			}
			if !slices.Equal(sent, want) {
				t.Fatal("the messages were not sent once each, in order")
			}
		})
	}
}

func TestSendBatchRetriesOnlyFailedEntries(t *testing.T) {
	in := bodies(12, 10)
	serverFault := func(msg string) *types.BatchResultErrorEntry {
		return &types.BatchResultErrorEntry{Code: aws.String("InternalError"), Message: aws.String(msg), SenderFault: false}
	}

	t.Run("recovered", func(t *testing.T) {
		// The first call fails entries 2 and 5 on SQS's side; the retry carries just those.
		r := &recorder{fail: func(call int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
			if call == 0 && (aws.ToString(e.MessageBody) == string(in[2]) || aws.ToString(e.MessageBody) == string(in[5])) {
				return serverFault("try again")
			}
			return nil
		}}
		q := &queue.Queue{API: r.api(), URL: url, Pause: time.Nanosecond}
		if err := q.SendBatch(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if want := [][]string{stringsOf(in[:10]), {string(in[2]), string(in[5])}, stringsOf(in[10:])}; !slices.EqualFunc(r.calls, want, slices.Equal) {
			t.Fatalf("calls %v", sizes(r.calls))
		}
	})

	t.Run("bounded", func(t *testing.T) {
		r := &recorder{fail: func(_ int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
			if aws.ToString(e.MessageBody) == string(in[3]) {
				return serverFault("still down")
			}
			return nil
		}}
		q := &queue.Queue{API: r.api(), URL: url, Attempts: 4, Pause: time.Nanosecond}
		err := q.SendBatch(context.Background(), in)
		var be *queue.BatchError
		if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Index != 3 || be.Failed[0].Code != "InternalError" {
			t.Fatalf("error %v", err)
		}
		if !slices.Equal(sizes(r.calls), []int{10, 1, 1, 1, 2}) {
			t.Fatalf("calls of %v messages, want four attempts for the failing one", sizes(r.calls))
		}
		if !strings.Contains(err.Error(), "deliver") || !strings.Contains(err.Error(), "still down") {
			t.Fatalf("error %q does not say where and why", err)
		}
	})

	t.Run("sender fault never retried", func(t *testing.T) {
		r := &recorder{fail: func(_ int, e types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
			if aws.ToString(e.MessageBody) == string(in[11]) {
				return &types.BatchResultErrorEntry{Code: aws.String("InvalidMessageContents"), Message: aws.String("bad"), SenderFault: true}
			}
			return nil
		}}
		q := &queue.Queue{API: r.api(), URL: url, Pause: time.Nanosecond}
		var be *queue.BatchError
		if err := q.SendBatch(context.Background(), in); !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Index != 11 || !be.Failed[0].SenderFault {
			t.Fatalf("error %v", err)
		}
		if !slices.Equal(sizes(r.calls), []int{10, 2}) {
			t.Fatalf("calls of %v messages", sizes(r.calls))
		}
	})

	t.Run("a call that fails whole", func(t *testing.T) {
		down := errors.New("connection refused")
		calls := 0
		q := &queue.Queue{API: &fakeAPI{batch: func(*sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			calls++
			return nil, down
		}}, URL: url}
		if err := q.SendBatch(context.Background(), in); !errors.Is(err, down) || calls != 1 {
			t.Fatalf("error %v after %d calls", err, calls)
		}
	})

	t.Run("cancelled while waiting to retry", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r := &recorder{fail: func(int, types.SendMessageBatchRequestEntry) *types.BatchResultErrorEntry {
			cancel()
			return serverFault("down")
		}}
		q := &queue.Queue{API: r.api(), URL: url, Pause: time.Hour}
		if err := q.SendBatch(ctx, in); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
	})
}

func stringsOf(b [][]byte) []string {
	var s []string
	for _, x := range b {
		s = append(s, string(x))
	}
	return s
}

func TestSend(t *testing.T) {
	var got *sqs.SendMessageInput
	api := &fakeAPI{send: func(in *sqs.SendMessageInput) (*sqs.SendMessageOutput, error) {
		got = in
		return &sqs.SendMessageOutput{}, nil
	}}
	q := queue.New(api, url)
	if err := q.Send(context.Background(), []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.QueueUrl) != url || aws.ToString(got.MessageBody) != `{"a":1}` {
		t.Fatalf("sent %+v", got)
	}
	down := errors.New("throttled")
	api.send = func(*sqs.SendMessageInput) (*sqs.SendMessageOutput, error) { return nil, down }
	if err := q.Send(context.Background(), []byte("x")); !errors.Is(err, down) || !strings.Contains(err.Error(), "deliver") {
		t.Fatalf("error %v", err)
	}
}

func TestDelay(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int32
	}{
		{-time.Second, 0},
		{0, 0},
		{time.Millisecond, 1},
		{1500 * time.Millisecond, 2},
		{90 * time.Second, 90},
		{12 * time.Hour, 43200},
		{48 * time.Hour, 43200},
	} {
		var got *sqs.ChangeMessageVisibilityInput
		q := queue.New(&fakeAPI{visibility: func(in *sqs.ChangeMessageVisibilityInput) (*sqs.ChangeMessageVisibilityOutput, error) {
			got = in
			return &sqs.ChangeMessageVisibilityOutput{}, nil
		}}, url)
		if err := q.Delay(context.Background(), "handle", c.d); err != nil {
			t.Fatal(err)
		}
		if got.VisibilityTimeout != c.want || aws.ToString(got.ReceiptHandle) != "handle" || aws.ToString(got.QueueUrl) != url {
			t.Errorf("Delay(%v) sent %d s (%+v), want %d", c.d, got.VisibilityTimeout, got, c.want)
		}
	}
	gone := errors.New("ReceiptHandleIsInvalid")
	q := queue.New(&fakeAPI{visibility: func(*sqs.ChangeMessageVisibilityInput) (*sqs.ChangeMessageVisibilityOutput, error) { return nil, gone }}, url)
	if err := q.Delay(context.Background(), "h", time.Second); !errors.Is(err, gone) {
		t.Fatalf("error %v", err)
	}
}

// TestQueueOnTheLocalServer sends through the real SDK client to the local SQS and reads the
// messages back: one Send, a SendBatch over three calls, and a Delay that hides a message for
// its time and no longer.
func TestQueueOnTheLocalServer(t *testing.T) {
	ctx := context.Background()
	st := localawstest.StartTest(t, "")
	c := st.SQS()
	lq, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "deliver", MaxReceiveCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(c, lq.URL)
	if err := q.Send(ctx, []byte(`{"one":"ü"}`)); err != nil {
		t.Fatal(err)
	}
	in := bodies(25, 2000)
	if err := q.SendBatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	want := append(stringsOf(in), `{"one":"ü"}`)
	var got []string
	var first types.Message
	for deadline := time.Now().Add(10 * time.Second); len(got) < len(want) && time.Now().Before(deadline); {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &lq.URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if first.ReceiptHandle == nil {
				first = m
			}
			got = append(got, aws.ToString(m.Body))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("received %d messages, want the %d sent", len(got), len(want))
	}

	// Visible at once, then hidden two seconds: it comes back after them, not before.
	if err := q.Delay(ctx, *first.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &lq.URL, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != aws.ToString(first.Body) {
		t.Fatalf("after Delay 0: %v, %v", out, err)
	}
	start := time.Now()
	if err := q.Delay(ctx, *out.Messages[0].ReceiptHandle, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &lq.URL, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			if e := time.Since(start); e < 1900*time.Millisecond {
				t.Fatalf("a message delayed 2 s came back after %v", e)
			}
			break
		}
		if time.Since(start) > 6*time.Second {
			t.Fatal("a message delayed 2 s did not come back")
		}
	}
}
