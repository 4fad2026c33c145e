package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSSourceAPI is the part of *sqs.Client an SQSSource uses.
type SQSSourceAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// SQSSource feeds a function from a queue as Lambda's SQS event source mapping does, with
// ReportBatchItemFailures on and at most MaxConcurrency invocations at once:
//   - each of MaxConcurrency pollers receives only while it has no invocation under way, as the
//     mapping's pollers do under ScalingConfig.MaximumConcurrency: a message waits in the queue
//     (not in flight, its receive count untouched) until an invocation is free;
//   - it long-polls the queue (20 s) for up to BatchSize messages, gathering for up to
//     BatchWindow once the first arrive (MaximumBatchingWindowInSeconds), and hands them over
//     as one events.SQSEvent, built as JSON and decoded with aws-lambda-go as Lambda does;
//   - it deletes the messages the invocation handled: all of them, or all but those named in
//     the response's BatchItemFailures;
//   - it deletes none when the handler returns an error, or names a message not in the batch
//     (Lambda then counts the whole batch failed);
//   - it never changes a message's visibility: a message it did not delete comes back when its
//     visibility timeout ends (the queue's, or what the handler set with ChangeMessageVisibility
//     for a backoff), with its receive count one higher, and goes to the dead-letter queue after
//     the redrive policy's maxReceiveCount.
//
// Lambda's 6 MB payload limit is not applied.
type SQSSource struct {
	API      SQSSourceAPI
	QueueURL string
	QueueARN string // the records' eventSourceARN
	Handler  func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// BatchSize is the most messages an invocation gets (BatchSize; zero: 10, Lambda's default).
	BatchSize int
	// BatchWindow is how long messages are gathered before an invocation that does not fill
	// BatchSize (zero: none, invoke as soon as a receive returns messages).
	BatchWindow time.Duration
	// Timeout bounds an invocation, as the function's timeout does (zero: 15 minutes).
	Timeout time.Duration
	// MaxConcurrency is the most invocations at once (ScalingConfig.MaximumConcurrency; zero:
	// one).
	MaxConcurrency int
	Log            *slog.Logger // nil: nothing logged
}

// sqsLongPoll is how long one ReceiveMessage waits for messages, as the mapping's pollers do.
const sqsLongPoll = 20 * time.Second

// Run polls and invokes until ctx is cancelled; an invocation under way gets ctx too. The
// messages of an invocation that ctx cut short are not deleted: they come back after their
// visibility timeout, as they would in AWS.
func (s *SQSSource) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(s.MaxConcurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.poll(ctx)
		}()
	}
	wg.Wait()
}

// poll is one poller: it receives a batch, invokes the function with it, and only then receives
// again.
func (s *SQSSource) poll(ctx context.Context) {
	pause := time.Duration(0)
	for ctx.Err() == nil {
		batch, err := s.gather(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// The server restarting, or gone: try again, less and less often.
			pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
			s.log().Warn("sqs: receive failed", slog.String("queue", s.QueueARN), slog.Any("error", err))
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return
			}
			continue
		}
		pause = 0
		if len(batch) > 0 {
			s.invoke(ctx, batch)
		}
	}
}

// gather receives one batch: the first messages within one long poll, then more until the
// batch is full or its window has passed. Messages received before an error are returned with
// it dropped: they are in flight and would be lost to this invocation otherwise.
func (s *SQSSource) gather(ctx context.Context) ([]types.Message, error) {
	size := s.BatchSize
	if size <= 0 {
		size = 10
	}
	var batch []types.Message
	var windowEnd time.Time
	for len(batch) < size {
		wait := sqsLongPoll
		if len(batch) > 0 {
			wait = time.Until(windowEnd)
			if wait <= 0 {
				break
			}
		}
		// Whole seconds, rounded down: a wait past the window could outlast the visibility
		// timeout of the messages already gathered and receive them a second time.
		secs := int32(wait / time.Second)
		out, err := s.API.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &s.QueueURL,
			MaxNumberOfMessages:         int32(min(size-len(batch), 10)),
			WaitTimeSeconds:             secs,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if len(batch) > 0 {
				return batch, nil
			}
			return nil, err
		}
		if len(batch) == 0 && len(out.Messages) > 0 {
			if s.BatchWindow <= 0 {
				return out.Messages, nil
			}
			windowEnd = time.Now().Add(s.BatchWindow)
		}
		batch = append(batch, out.Messages...)
		if len(batch) == 0 {
			return nil, nil // an empty long poll: poll again
		}
		if secs == 0 && len(out.Messages) == 0 {
			// The window's last second, polled briefly and often.
			select {
			case <-time.After(min(100*time.Millisecond, time.Until(windowEnd))):
			case <-ctx.Done():
				return batch, nil
			}
		}
	}
	return batch, nil
}

// invoke hands one batch to the handler and deletes what it handled.
func (s *SQSSource) invoke(ctx context.Context, batch []types.Message) {
	event, err := SQSEvent(batch, s.QueueARN)
	if err != nil {
		// Nothing is deleted: the messages come back, and end in the dead-letter queue.
		s.log().Error("sqs: event not made", slog.String("queue", s.QueueARN), slog.Any("error", err))
		return
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	resp, err := s.call(ctx, timeout, event)
	if err != nil {
		s.log().Warn("sqs: invocation failed: the batch comes back after its visibility timeout",
			slog.String("queue", s.QueueARN), slog.Int("messages", len(batch)), slog.Any("error", err))
		return
	}
	inBatch := make(map[string]bool, len(batch))
	for _, m := range batch {
		inBatch[aws.ToString(m.MessageId)] = true
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			s.log().Warn("sqs: a batch item failure names no message of the batch: the whole batch failed",
				slog.String("queue", s.QueueARN), slog.String("itemIdentifier", f.ItemIdentifier))
			return
		}
		failed[f.ItemIdentifier] = true
	}
	var done []types.Message
	for _, m := range batch {
		if !failed[aws.ToString(m.MessageId)] {
			done = append(done, m)
		}
	}
	// A shutdown right after the handler returned still deletes what it handled.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.delete(dctx, done); err != nil {
		s.log().Warn("sqs: delete failed: handled messages will be delivered again",
			slog.String("queue", s.QueueARN), slog.Any("error", err))
	}
}

func (s *SQSSource) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// call runs the handler under its timeout; a panic is a failed invocation, as in Lambda.
func (s *SQSSource) call(ctx context.Context, timeout time.Duration, event events.SQSEvent) (resp events.SQSEventResponse, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.Handler(ctx, event)
}

func (s *SQSSource) delete(ctx context.Context, msgs []types.Message) error {
	for start := 0; start < len(msgs); start += 10 {
		var entries []types.DeleteMessageBatchRequestEntry
		for i, m := range msgs[start:min(start+10, len(msgs))] {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := s.API.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &s.QueueURL, Entries: entries})
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return fmt.Errorf("%d of %d not deleted, first %s: %s", len(out.Failed), len(entries), aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return nil
}

// SQSEvent returns the event Lambda's event source mapping hands a function for msgs, received
// from the queue arn with every system and message attribute. It builds the records as JSON and
// decodes them with aws-lambda-go, as Lambda does.
func SQSEvent(msgs []types.Message, arn string) (events.SQSEvent, error) {
	type attribute struct {
		StringValue      *string  `json:"stringValue,omitempty"`
		BinaryValue      []byte   `json:"binaryValue,omitempty"`
		StringListValues []string `json:"stringListValues"`
		BinaryListValues [][]byte `json:"binaryListValues"`
		DataType         string   `json:"dataType"`
	}
	records := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		attrs := map[string]attribute{}
		for name, v := range m.MessageAttributes {
			attrs[name] = attribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: append([]string{}, v.StringListValues...),
				BinaryListValues: append([][]byte{}, v.BinaryListValues...),
				DataType:         aws.ToString(v.DataType),
			}
		}
		system := m.Attributes
		if system == nil {
			system = map[string]string{}
		}
		records = append(records, map[string]any{
			"messageId":              aws.ToString(m.MessageId),
			"receiptHandle":          aws.ToString(m.ReceiptHandle),
			"body":                   aws.ToString(m.Body),
			"attributes":             system,
			"messageAttributes":      attrs,
			"md5OfBody":              aws.ToString(m.MD5OfBody),
			"md5OfMessageAttributes": m.MD5OfMessageAttributes, // null without attributes, as Lambda sends
			"eventSource":            "aws:sqs",
			"eventSourceARN":         arn,
			"awsRegion":              Region,
		})
	}
	raw, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		return events.SQSEvent{}, fmt.Errorf("localaws: sqs event: %w", err)
	}
	var e events.SQSEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return events.SQSEvent{}, fmt.Errorf("localaws: decode emulated sqs event: %w", err)
	}
	return e, nil
}
