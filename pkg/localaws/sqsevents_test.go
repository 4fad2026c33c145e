package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	queue "github.com/soundtime/soundtime/pkg/sqs"
)

func eventShape(t *testing.T, e events.SQSMessage) []string {
	t.Helper()
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	var p []string
	paths("", m, &p)
	sort.Strings(p)
	return p
}

// TestSQSEventMatchesLambda builds an event from a message the local SQS returned and compares
// it with an event as Lambda delivers it.
func TestSQSEventMatchesLambda(t *testing.T) {
	raw, err := os.ReadFile("testdata/sqs-aws.json")
	if err != nil {
		t.Fatal(err)
	}
	var real events.SQSEvent
	if err := json.Unmarshal(raw, &real); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := localawstest.StartTest(t, "")
	c := st.SQS()
	q, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "deliver", MaxReceiveCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.URL, MessageBody: aws.String(`{"type":"Create"}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("announce")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.URL, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}, MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %v", out, err)
	}
	got, err := localaws.SQSEvent(out.Messages, q.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if want, have := eventShape(t, real.Records[0]), eventShape(t, got.Records[0]); !slices.Equal(want, have) {
		t.Fatalf("shape differs from Lambda's:\n got  %v\n want %v", have, want)
	}
	r := got.Records[0]
	if r.EventSource != "aws:sqs" || r.EventSourceARN != q.ARN || r.AWSRegion != localaws.Region || r.Body != `{"type":"Create"}` ||
		r.MessageId != aws.ToString(out.Messages[0].MessageId) || r.ReceiptHandle != aws.ToString(out.Messages[0].ReceiptHandle) ||
		r.Attributes["ApproximateReceiveCount"] != "1" || r.MessageAttributes["kind"].DataType != "String" || aws.ToString(r.MessageAttributes["kind"].StringValue) != "announce" {
		t.Fatalf("record %+v", r)
	}
}

// testLog shows the mapping's log with SOUNDTIME_TEST_VERBOSE=1.
func testLog() *slog.Logger {
	if os.Getenv("SOUNDTIME_TEST_VERBOSE") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// delivery is one message as one invocation saw it.
type delivery struct {
	body  string
	count int
	at    time.Time
}

// source runs an SQSSource on a fresh queue (1 s visibility) until the test ends.
type source struct {
	t *testing.T
	c *sqs.Client
	q localaws.Queue

	mu   sync.Mutex
	seen []delivery
}

func newSource(t *testing.T, st *localaws.Stack, name string) *source {
	t.Helper()
	c := st.SQS()
	q, err := localaws.EnsureQueue(context.Background(), c, localaws.QueueConfig{Name: name, MaxReceiveCount: 10, VisibilityTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &source{t: t, c: c, q: q}
}

// start runs the mapping with handle until the returned stop is called (or the test ends).
func (s *source) start(handle func(ctx context.Context, m events.SQSMessage, count int) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	src := &localaws.SQSSource{
		API: s.c, QueueURL: s.q.URL, QueueARN: s.q.ARN, BatchSize: 10, BatchWindow: 200 * time.Millisecond, Log: testLog(),
		Handler: func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			var resp events.SQSEventResponse
			var errs []error
			for _, m := range e.Records {
				n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
				s.mu.Lock()
				s.seen = append(s.seen, delivery{m.Body, n, time.Now()})
				s.mu.Unlock()
				switch err := handle(ctx, m, n); {
				case errors.Is(err, errItem):
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				case err != nil:
					errs = append(errs, err)
				}
			}
			return resp, errors.Join(errs...)
		},
	}
	go func() { src.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	s.t.Cleanup(stop)
	return stop
}

// errItem marks a message the handler reports in BatchItemFailures.
var errItem = errors.New("item failed")

func (s *source) send(bodies ...string) {
	s.t.Helper()
	var entries []types.SendMessageBatchRequestEntry
	for i, b := range bodies {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
	}
	out, err := s.c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: &s.q.URL, Entries: entries})
	if err != nil || len(out.Failed) > 0 {
		s.t.Fatalf("send: %v %v", err, out)
	}
}

// counts lists the receive counts each body was delivered with, in order.
func (s *source) counts() map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]int{}
	for _, d := range s.seen {
		out[d.body] = append(out[d.body], d.count)
	}
	return out
}

func (s *source) times(body string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, d := range s.seen {
		if d.body == body {
			out = append(out, d.at)
		}
	}
	return out
}

// waitUntil polls cond for up to d.
func (s *source) waitUntil(d time.Duration, what string, cond func(map[string][]int) bool) {
	s.t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond(s.counts()) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within %v; deliveries %v", what, d, s.counts())
		}
	}
}

// settled waits past a visibility timeout and checks the queue holds nothing, in flight or not.
func (s *source) settled() {
	s.t.Helper()
	time.Sleep(1500 * time.Millisecond)
	out, err := s.c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &s.q.URL,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		s.t.Fatal(err)
	}
	if out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		s.t.Fatalf("queue not empty: %v; deliveries %v", out.Attributes, s.counts())
	}
}

func equal(got map[string][]int, want map[string][]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			return false
		}
	}
	return true
}

// TestSQSSource runs the event source mapping emulation against the local SQS: handled messages
// are deleted, failed ones come back after their visibility timeout with a higher receive count,
// and a stopped consumer loses nothing.
func TestSQSSource(t *testing.T) {
	st := localawstest.StartTest(t, "")

	t.Run("success deletes", func(t *testing.T) {
		s := newSource(t, st, "ok")
		s.start(func(context.Context, events.SQSMessage, int) error { return nil })
		s.send("a", "b", "c")
		want := map[string][]int{"a": {1}, "b": {1}, "c": {1}}
		s.waitUntil(5*time.Second, "three deliveries", func(m map[string][]int) bool { return equal(m, want) })
		s.settled()
		if got := s.counts(); !equal(got, want) {
			t.Fatalf("deliveries %v, want each once", got)
		}
	})

	t.Run("partial failure redelivers only the failed", func(t *testing.T) {
		s := newSource(t, st, "partial")
		s.start(func(_ context.Context, m events.SQSMessage, n int) error {
			if m.Body == "bad" && n < 3 {
				return errItem
			}
			return nil
		})
		s.send("ok1", "bad", "ok2")
		want := map[string][]int{"ok1": {1}, "bad": {1, 2, 3}, "ok2": {1}}
		s.waitUntil(8*time.Second, "bad delivered three times", func(m map[string][]int) bool { return len(m["bad"]) == 3 })
		s.settled()
		if got := s.counts(); !equal(got, want) {
			t.Fatalf("deliveries %v, want %v", got, want)
		}
	})

	t.Run("handler error redelivers all", func(t *testing.T) {
		s := newSource(t, st, "error")
		s.start(func(_ context.Context, m events.SQSMessage, n int) error {
			if m.Body == "x" && n == 1 {
				return errors.New("boom")
			}
			return nil
		})
		s.send("x", "y")
		want := map[string][]int{"x": {1, 2}, "y": {1, 2}}
		s.waitUntil(8*time.Second, "both delivered twice", func(m map[string][]int) bool { return len(m["x"]) == 2 && len(m["y"]) == 2 })
		s.settled()
		if got := s.counts(); !equal(got, want) {
			t.Fatalf("deliveries %v, want %v", got, want)
		}
	})

	t.Run("an unknown item identifier fails the whole batch", func(t *testing.T) {
		s := newSource(t, st, "unknown-item")
		src := &localaws.SQSSource{API: s.c, QueueURL: s.q.URL, QueueARN: s.q.ARN, BatchWindow: 200 * time.Millisecond}
		var mu sync.Mutex
		var batches [][]string
		src.Handler = func(_ context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			var b []string
			for _, r := range e.Records {
				b = append(b, r.Body)
			}
			batches = append(batches, b)
			if len(batches) == 1 {
				return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "not-a-message-id"}}}, nil
			}
			return events.SQSEventResponse{}, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { src.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		s.send("p", "q")
		for deadline := time.Now().Add(8 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			var all []string
			for _, b := range batches {
				all = append(all, b...)
			}
			mu.Unlock()
			slices.Sort(all)
			if slices.Equal(all, []string{"p", "p", "q", "q"}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("batches %v: want p and q delivered twice", batches)
			}
		}
		s.settled()
	})

	t.Run("the handler's backoff holds", func(t *testing.T) {
		s := newSource(t, st, "backoff")
		q := queue.New(s.c, s.q.URL)
		s.start(func(ctx context.Context, m events.SQSMessage, n int) error {
			if n == 1 {
				if err := q.Delay(ctx, m.ReceiptHandle, 3*time.Second); err != nil {
					return err
				}
				return errItem
			}
			return nil
		})
		s.send("later")
		s.waitUntil(10*time.Second, "redelivered", func(m map[string][]int) bool { return len(m["later"]) == 2 })
		at := s.times("later")
		if gap := at[1].Sub(at[0]); gap < 2900*time.Millisecond {
			t.Fatalf("redelivered after %v, before the 3 s backoff the handler set", gap)
		}
		s.settled()
	})

	t.Run("a message survives a stop and start of the consumer", func(t *testing.T) {
		s := newSource(t, st, "survivor")
		started := make(chan struct{})
		stop := s.start(func(ctx context.Context, m events.SQSMessage, n int) error {
			close(started)
			<-ctx.Done() // the runner stops in the middle of the invocation
			return ctx.Err()
		})
		s.send("survivor")
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("not delivered")
		}
		stop()
		s.start(func(context.Context, events.SQSMessage, int) error { return nil })
		want := map[string][]int{"survivor": {1, 2}}
		s.waitUntil(5*time.Second, "delivered again", func(m map[string][]int) bool { return equal(m, want) })
		s.settled()
	})
}

// fakeSQS serves ReceiveMessage from a list of messages and records the calls.
type fakeSQS struct {
	mu       sync.Mutex
	waiting  []types.Message
	receives []*sqs.ReceiveMessageInput
	deleted  []string
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	f.receives = append(f.receives, in)
	n := min(int(in.MaxNumberOfMessages), len(f.waiting))
	out := f.waiting[:n]
	f.waiting = f.waiting[n:]
	f.mu.Unlock()
	if n == 0 && in.WaitTimeSeconds > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(in.WaitTimeSeconds) * time.Second):
		}
	}
	return &sqs.ReceiveMessageOutput{Messages: out}, nil
}

func (f *fakeSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.Entries) > 10 {
		return nil, errors.New("TooManyEntriesInBatchRequest")
	}
	for _, e := range in.Entries {
		f.deleted = append(f.deleted, aws.ToString(e.ReceiptHandle))
	}
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// TestSQSSourceBatches checks the batching rules on a fake queue: receives of at most ten
// messages gathered into one invocation of BatchSize within the window, and deletes in tens.
func TestSQSSourceBatches(t *testing.T) {
	f := &fakeSQS{}
	for i := range 25 {
		id := strconv.Itoa(i)
		f.waiting = append(f.waiting, types.Message{MessageId: aws.String("m" + id), ReceiptHandle: aws.String("r" + id), Body: aws.String(id)})
	}
	got := make(chan int, 10)
	src := &localaws.SQSSource{API: f, QueueURL: "q", QueueARN: "arn:aws:sqs:us-east-1:000000000000:q", BatchSize: 25, BatchWindow: 2 * time.Second,
		Handler: func(_ context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			got <- len(e.Records)
			return events.SQSEventResponse{}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	start := time.Now()
	select {
	case n := <-got:
		if n != 25 {
			t.Fatalf("an invocation of %d messages, want 25", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no invocation")
	}
	if e := time.Since(start); e > time.Second {
		t.Errorf("a full batch waited %v for its window", e)
	}
	cancel()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.receives {
		if in.MaxNumberOfMessages > 10 || in.MaxNumberOfMessages < 1 || in.WaitTimeSeconds > 20 {
			t.Errorf("receive of %d messages waiting %d s", in.MaxNumberOfMessages, in.WaitTimeSeconds)
		}
	}
	if len(f.deleted) != 25 {
		t.Fatalf("%d deleted, want 25", len(f.deleted))
	}
}

// TestSQSSourceMaxConcurrency: with MaxConcurrency 3 and seven messages queued, three
// invocations run at once and no more, the four other messages wait in the queue (not in flight,
// their receive counts untouched) until an invocation ends, and every message is handled once.
func TestSQSSourceMaxConcurrency(t *testing.T) {
	const limit, total = 3, 7
	st := localawstest.StartTest(t, "")
	c := st.SQS()
	// A visibility longer than the test: nothing comes back by itself.
	q, err := localaws.EnsureQueue(context.Background(), c, localaws.QueueConfig{Name: "bounded", MaxReceiveCount: 10, VisibilityTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu            sync.Mutex
		running, peak int
		handled       = map[string]int{}
		counts        []string
	)
	release := make(chan struct{})
	src := &localaws.SQSSource{API: c, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 1, MaxConcurrency: limit, Log: testLog(),
		Handler: func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			defer func() {
				mu.Lock()
				running--
				for _, m := range e.Records {
					handled[m.Body]++
					counts = append(counts, m.Attributes["ApproximateReceiveCount"])
				}
				mu.Unlock()
			}()
			select {
			case <-release:
			case <-ctx.Done():
			}
			return events.SQSEventResponse{}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var bodies []string
	for i := range total {
		bodies = append(bodies, "m"+strconv.Itoa(i))
	}
	if err := queue.New(c, q.URL).SendBatch(context.Background(), toBytes(bodies)); err != nil {
		t.Fatal(err)
	}
	state := func() (int, int, int) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range handled {
			n += v
		}
		return running, peak, n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				r, p, n := state()
				t.Fatalf("%s: running %d, peak %d, handled %d", what, r, p, n)
			}
		}
	}
	waitFor("three invocations under way", func() bool { r, _, _ := state(); return r == limit })
	// Every poller is inside an invocation, so none is receiving: exactly three messages are in
	// flight and four wait.
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &q.URL,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Attributes; got["ApproximateNumberOfMessagesNotVisible"] != "3" || got["ApproximateNumberOfMessages"] != "4" {
		t.Fatalf("queue %v with three invocations blocked, want 3 in flight and 4 waiting", got)
	}
	// One invocation ends at a time; a waiting message takes its place, never a fourth at once.
	for k := 1; k <= total; k++ {
		release <- struct{}{}
		waitFor("invocation "+strconv.Itoa(k)+" handled", func() bool { _, _, n := state(); return n == k })
		if left := total - k; left >= limit {
			waitFor("three under way again", func() bool { r, _, _ := state(); return r == limit })
		}
	}
	_, p, n := state()
	if p != limit || n != total {
		t.Fatalf("peak %d, handled %d: want %d at most at once and all %d handled", p, n, limit, total)
	}
	mu.Lock()
	defer mu.Unlock()
	for body, times := range handled {
		if times != 1 {
			t.Errorf("%s handled %d times", body, times)
		}
	}
	for _, c := range counts {
		if c != "1" {
			t.Errorf("receive counts %v: a waiting message was received before an invocation was free", counts)
			break
		}
	}
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
