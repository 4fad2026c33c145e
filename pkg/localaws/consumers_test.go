package localaws_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/localaws"
)

func TestConsumers(t *testing.T) {
	var seen [2][]string
	failing := func(i int, fail ...string) localaws.StreamHandler {
		return func(_ context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			var resp events.DynamoDBEventResponse
			for _, r := range e.Records {
				seen[i] = append(seen[i], r.Change.SequenceNumber)
				if slices.Contains(fail, r.Change.SequenceNumber) {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				}
			}
			return resp, nil
		}
	}
	batch := events.DynamoDBEvent{}
	for _, seq := range []string{"1", "2", "3"} {
		var r events.DynamoDBEventRecord
		r.Change.SequenceNumber = seq
		batch.Records = append(batch.Records, r)
	}
	resp, err := localaws.Consumers(failing(0, "2"), failing(1, "2", "3"))(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	// Every handler sees every record; a record either failed is retried, once in the list.
	if !slices.Equal(failed, []string{"2", "3"}) || !slices.Equal(seen[0], []string{"1", "2", "3"}) || !slices.Equal(seen[1], seen[0]) {
		t.Fatalf("failed %v, seen %v", failed, seen)
	}
	broken := func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, errors.New("invocation failed")
	}
	if _, err := localaws.Consumers(failing(0), broken)(context.Background(), batch); err == nil {
		t.Fatal("an invocation error was swallowed")
	}
}
