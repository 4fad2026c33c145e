package localaws_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/soundtime/soundtime/pkg/localaws"
)

// startIn starts a stack on dir, which a later start may reuse, and stops it when the test ends.
func startIn(t *testing.T, dir string) *localaws.Stack {
	t.Helper()
	var out *os.File
	if os.Getenv("SOUNDTIME_TEST_VERBOSE") != "" {
		out = os.Stderr
	}
	opt := localaws.Options{Dir: dir}
	if out != nil {
		opt.Output = out
	}
	st, err := localaws.Start(context.Background(), opt)
	if err != nil {
		t.Fatalf("start local AWS servers: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// receive makes one ReceiveMessage call as the event source mapping does (every system
// attribute), with a visibility timeout of vis seconds (0: the queue's) and a wait of wait seconds.
func receive(t *testing.T, c *sqs.Client, queueURL string, vis, wait int32) []types.Message {
	t.Helper()
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    &queueURL,
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	}
	if vis > 0 {
		in.VisibilityTimeout = vis
	}
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func receiveCount(t *testing.T, m types.Message) int {
	t.Helper()
	n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if err != nil {
		t.Fatalf("message %s: ApproximateReceiveCount %q", aws.ToString(m.MessageId), m.Attributes["ApproximateReceiveCount"])
	}
	return n
}

// one receives exactly one message with body, failing the test otherwise.
func one(t *testing.T, msgs []types.Message, body string) types.Message {
	t.Helper()
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != body {
		var got []string
		for _, m := range msgs {
			got = append(got, aws.ToString(m.Body))
		}
		t.Fatalf("received %q, want exactly [%q]", got, body)
	}
	return msgs[0]
}

func send(t *testing.T, c *sqs.Client, queueURL, body string) {
	t.Helper()
	if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
		t.Fatalf("send %q: %v", body, err)
	}
}

func TestEnsureQueueIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := startIn(t, t.TempDir())
	c := st.SQS()
	first, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "deliver", MaxReceiveCount: 5, VisibilityTimeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Again, with another redrive policy: the queue stays, its configuration follows.
	again, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "deliver", MaxReceiveCount: 3, VisibilityTimeout: 50 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("second EnsureQueue gave %+v, first %+v", again, first)
	}
	if !strings.HasSuffix(first.ARN, ":deliver") || !strings.HasSuffix(first.DeadLetterARN, ":deliver-dlq") {
		t.Fatalf("ARNs %q and %q", first.ARN, first.DeadLetterARN)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &first.URL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &redrive); err != nil {
		t.Fatalf("RedrivePolicy %q: %v", attrs.Attributes["RedrivePolicy"], err)
	}
	if redrive.DeadLetterTargetArn != first.DeadLetterARN || fmt.Sprint(redrive.MaxReceiveCount) != "3" || attrs.Attributes["VisibilityTimeout"] != "50" {
		t.Fatalf("attributes %v", attrs.Attributes)
	}
	for _, bad := range []localaws.QueueConfig{{Name: "q", MaxReceiveCount: 0}, {Name: "q", MaxReceiveCount: 1, VisibilityTimeout: 1500 * time.Millisecond}} {
		if _, err := localaws.EnsureQueue(ctx, c, bad); err == nil {
			t.Errorf("EnsureQueue(%+v) passed", bad)
		}
	}
}

// TestSQSBehavesLikeSQS holds the local queue to what the deliver path relies on: visibility,
// ChangeMessageVisibility (to 0 too, which fauxqs 2.4.1 with persistence gets wrong without
// fauxqs-preload.mjs), delete, and the move to the dead-letter queue on the receive after
// maxReceiveCount, not later.
func TestSQSBehavesLikeSQS(t *testing.T) {
	ctx := context.Background()
	st := startIn(t, t.TempDir())
	c := st.SQS()

	t.Run("visibility and delete", func(t *testing.T) {
		q, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "work", MaxReceiveCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		send(t, c, q.URL, "a")
		m := one(t, receive(t, c, q.URL, 0, 1), "a")
		if n := receiveCount(t, m); n != 1 {
			t.Fatalf("first receive counted %d", n)
		}
		for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
			if _, err := strconv.ParseInt(m.Attributes[k], 10, 64); err != nil {
				t.Errorf("attribute %s = %q", k, m.Attributes[k])
			}
		}
		if got := receive(t, c, q.URL, 0, 1); len(got) != 0 {
			t.Fatalf("an invisible message was received again: %v", got)
		}
		// Visible again at once; the receive count goes on.
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.URL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatalf("ChangeMessageVisibility 0: %v", err)
		}
		m = one(t, receive(t, c, q.URL, 0, 1), "a")
		if n := receiveCount(t, m); n != 2 {
			t.Fatalf("second receive counted %d", n)
		}
		// A backoff: hidden one second, then back.
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.URL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 1}); err != nil {
			t.Fatalf("ChangeMessageVisibility 1: %v", err)
		}
		start := time.Now()
		var back []types.Message
		for len(back) == 0 && time.Since(start) < 5*time.Second {
			back = receive(t, c, q.URL, 0, 1)
		}
		if len(back) == 0 || time.Since(start) < 900*time.Millisecond {
			t.Fatalf("after a 1 s visibility timeout: %d messages after %v", len(back), time.Since(start))
		}
		m = one(t, back, "a")
		if n := receiveCount(t, m); n != 3 {
			t.Fatalf("third receive counted %d", n)
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.URL, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if got := receive(t, c, q.URL, 1, 1); len(got) != 0 {
			t.Fatalf("a deleted message came back: %v", got)
		}
	})

	t.Run("redrive after maxReceiveCount", func(t *testing.T) {
		q, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "poisoned", MaxReceiveCount: 2})
		if err != nil {
			t.Fatal(err)
		}
		send(t, c, q.URL, "poison")
		for i := 1; i <= 2; i++ {
			var msgs []types.Message
			for deadline := time.Now().Add(5 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); {
				msgs = receive(t, c, q.URL, 1, 1)
			}
			if n := receiveCount(t, one(t, msgs, "poison")); n != i {
				t.Fatalf("receive %d counted %d", i, n)
			}
		}
		// Its visibility lapses; the next receive moves it instead of delivering it.
		time.Sleep(1100 * time.Millisecond)
		if got := receive(t, c, q.URL, 1, 1); len(got) != 0 {
			t.Fatal("received a third time with maxReceiveCount 2")
		}
		dead := one(t, receive(t, c, q.DeadLetterURL, 0, 1), "poison")
		if n := receiveCount(t, dead); n < 1 {
			t.Fatalf("dead-letter receive counted %d", n)
		}
	})
}

// TestSQSKeepsMessagesAcrossRestart restarts the servers on the same folder: a waiting message
// is still there, an in-flight one stays hidden with its receive count, and the receipt handle
// given before the restart still works after it.
func TestSQSKeepsMessagesAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := startIn(t, dir)
	c := st.SQS()
	q, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "kept", MaxReceiveCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, q.URL, "in flight")
	inFlight := one(t, receive(t, c, q.URL, 60, 1), "in flight")
	send(t, c, q.URL, "waiting")
	st.Close()

	st = startIn(t, dir)
	c = st.SQS()
	again, err := localaws.EnsureQueue(ctx, c, localaws.QueueConfig{Name: "kept", MaxReceiveCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	if again.ARN != q.ARN {
		t.Fatalf("queue ARN %q after the restart, %q before", again.ARN, q.ARN)
	}
	if n := receiveCount(t, one(t, receive(t, c, q.URL, 60, 1), "waiting")); n != 1 {
		t.Fatalf("waiting message counted %d", n)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.URL, ReceiptHandle: inFlight.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("receipt handle from before the restart: %v", err)
	}
	if n := receiveCount(t, one(t, receive(t, c, q.URL, 60, 1), "in flight")); n != 2 {
		t.Fatalf("in-flight message counted %d after the restart", n)
	}
}

// TestSQSListensOnLoopbackOnly checks the kernel's socket table: fauxqs's own choice is every
// interface, and it does not check signatures.
func TestSQSListensOnLoopbackOnly(t *testing.T) {
	st := startIn(t, t.TempDir())
	_, port, _ := strings.Cut(strings.TrimPrefix(st.SQSEndpoint, "http://"), ":")
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	found := false
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// local_address is "IP:PORT" in hex; state 0A is LISTEN.
			if len(fields) < 4 || fields[3] != "0A" || !strings.HasSuffix(fields[1], want) {
				continue
			}
			found = true
			if ip := strings.TrimSuffix(fields[1], want); ip != "0100007F" {
				t.Errorf("fauxqs listens on %s (%s), want 127.0.0.1 only", fields[1], table)
			}
		}
		f.Close()
	}
	if !found {
		t.Fatalf("no listening socket on port %d", p)
	}
}
