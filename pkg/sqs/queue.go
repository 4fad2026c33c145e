// Package sqs sends messages to one SQS queue and postpones messages received from it (the
// backoff of a consumer that failed them). It owns the narrow interface of the SDK calls it makes.
// Receiving and deleting are the event source mapping's work in AWS (localaws.Consumer locally):
// no function calls them.
package sqs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is the part of *sqs.Client the queue uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQS's limits that the queue works within.
const (
	// MaxBatch is the most entries one SendMessageBatch takes.
	MaxBatch = 10
	// MaxBatchBytes is the most body bytes SendBatch puts in one call: SQS refuses a batch whose
	// bodies add up to more than its message size limit, 256 KiB before August 2025 and 1 MiB
	// since; the lower one holds everywhere.
	MaxBatchBytes = 256 << 10
	// MaxDelay is the longest visibility timeout SQS accepts.
	MaxDelay = 12 * time.Hour
)

// Queue is one SQS queue.
type Queue struct {
	API API
	URL string
	// Attempts bounds the SendMessageBatch calls a chunk gets while SQS fails some of its entries
	// on its side (zero: 3). The SDK retries failed calls by itself; this retries failed entries,
	// which come back in a successful answer.
	Attempts int
	// Pause is the wait before the second attempt, doubled for each one after (zero: 100 ms).
	Pause time.Duration
}

// New returns the queue at url.
func New(api API, url string) *Queue {
	return &Queue{API: api, URL: url}
}

// Send sends one message. body must be UTF-8 text (SQS refuses some control characters), as
// JSON is.
func (q *Queue) Send(ctx context.Context, body []byte) error {
	if _, err := q.API.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.URL, MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("sqs: send to %s: %w", q.name(), err)
	}
	return nil
}

// BatchError reports the messages of a SendBatch that SQS did not take; every other message
// was sent.
type BatchError struct {
	Queue  string
	Failed []Failure
}

// Failure is one message that SQS did not take.
type Failure struct {
	Index       int    // its index in the bodies given to SendBatch
	Code        string // SQS's error code
	Message     string
	SenderFault bool // the message itself is at fault (too large, bad characters): never retried
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sqs: send to %s: %d messages not sent:", e.Queue, len(e.Failed))
	for i, f := range e.Failed {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(e.Failed)-i)
			break
		}
		fmt.Fprintf(&b, " #%d %s %q;", f.Index, f.Code, f.Message)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// SendBatch sends bodies in as few SendMessageBatch calls as SQS allows (ten messages and
// MaxBatchBytes a call), in order. Entries that SQS fails on its side are sent again, alone,
// up to Attempts calls in all; entries it refuses as the sender's fault are not. It returns a
// *BatchError naming the messages that were not sent, or the error of a call that failed
// whole (or of ctx), wrapped: then the messages of earlier calls were sent, and those of the
// failed call and later ones were not, or in part.
func (q *Queue) SendBatch(ctx context.Context, bodies [][]byte) error {
	var failed []Failure
	for start := 0; start < len(bodies); {
		end, size := start, 0
		for end < len(bodies) && end-start < MaxBatch && (end == start || size+len(bodies[end]) <= MaxBatchBytes) {
			size += len(bodies[end])
			end++
		}
		f, err := q.sendChunk(ctx, bodies, start, end)
		if err != nil {
			return err
		}
		failed = append(failed, f...)
		start = end
	}
	if len(failed) > 0 {
		return &BatchError{Queue: q.name(), Failed: failed}
	}
	return nil
}

// sendChunk sends bodies[start:end], one call plus retries of the entries SQS failed on its side.
func (q *Queue) sendChunk(ctx context.Context, bodies [][]byte, start, end int) ([]Failure, error) {
	attempts := q.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	pause := q.Pause
	if pause <= 0 {
		pause = 100 * time.Millisecond
	}
	pending := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		pending = append(pending, i)
	}
	var failed []Failure
	for attempt := 1; ; attempt++ {
		entries := make([]types.SendMessageBatchRequestEntry, len(pending))
		for k, i := range pending {
			entries[k] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(bodies[i]))}
		}
		out, err := q.API.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.URL, Entries: entries})
		if err != nil {
			return nil, fmt.Errorf("sqs: send %d messages to %s: %w", len(entries), q.name(), err)
		}
		var retry []int
		for _, e := range out.Failed {
			i, err := strconv.Atoi(aws.ToString(e.Id))
			if err != nil || i < start || i >= end {
				return nil, fmt.Errorf("sqs: send to %s: answer names an unknown entry %q", q.name(), aws.ToString(e.Id))
			}
			f := Failure{Index: i, Code: aws.ToString(e.Code), Message: aws.ToString(e.Message), SenderFault: e.SenderFault}
			if f.SenderFault || attempt == attempts {
				failed = append(failed, f)
			} else {
				retry = append(retry, i)
			}
		}
		if len(retry) == 0 {
			return failed, nil
		}
		pending = retry
		t := time.NewTimer(pause << (attempt - 1))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("sqs: send to %s: %w", q.name(), ctx.Err())
		}
	}
}

// Delay hides a received message for d from now, the backoff before its next delivery: d is
// rounded up to whole seconds and capped at MaxDelay. SQS counts its 12 hours from the receive,
// and refuses a delay that would end later; that error is returned, wrapped.
func (q *Queue) Delay(ctx context.Context, receiptHandle string, d time.Duration) error {
	if d < 0 {
		d = 0
	}
	d = min(d, MaxDelay)
	secs := int32((d + time.Second - 1) / time.Second)
	_, err := q.API.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          &q.URL,
		ReceiptHandle:     &receiptHandle,
		VisibilityTimeout: secs,
	})
	if err != nil {
		return fmt.Errorf("sqs: delay a message of %s by %ds: %w", q.name(), secs, err)
	}
	return nil
}

// name is the queue's name, the last part of its URL, for errors.
func (q *Queue) name() string {
	if i := strings.LastIndexByte(q.URL, '/'); i >= 0 && i < len(q.URL)-1 {
		return q.URL[i+1:]
	}
	return q.URL
}
