package localaws

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// StreamHandler is a function fed by a table's stream, with partial batch responses.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Consumers emulates several event source mappings on one stream (the template gives the tracks
// table's stream two: the expire and the unlist functions) with one Stream: each batch goes to
// every handler, and a record that any of them failed is retried, to all of them. In AWS each
// mapping retries only its own failures; handing a record again to a handler that finished it
// changes nothing, since every stream handler must bear a repeated record anyway.
func Consumers(handlers ...StreamHandler) StreamHandler {
	return func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		var errs []error
		failed := map[string]bool{}
		for _, h := range handlers {
			r, err := h(ctx, e)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, f := range r.BatchItemFailures {
				if !failed[f.ItemIdentifier] {
					failed[f.ItemIdentifier] = true
					resp.BatchItemFailures = append(resp.BatchItemFailures, f)
				}
			}
		}
		if err := errors.Join(errs...); err != nil {
			return events.DynamoDBEventResponse{}, err
		}
		return resp, nil
	}
}
