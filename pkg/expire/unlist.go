package expire

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/dynamo"
)

// Unlister is the unlist function: the second consumer of the tracks table's stream. For each
// track's REMOVE record, whatever removed the track (its uploader, the TTL), it drops the track
// from the sets that list it and removes a set with its last track (track.Sets.Unlist). It runs
// beside the expire function, not inside it, so that the role that deletes a track's objects
// keeps no access to the table, and a failure on either side never holds up the other.
type Unlister struct {
	// Unlist drops a gone track from its sets (track.Sets.Unlist); idempotent.
	Unlist func(ctx context.Context, id string) error
	Log    *slog.Logger
}

// Handle unlists the track of every REMOVE record of a track in e, reporting the records it
// could not finish as batch item failures (by SequenceNumber, with a nil error). A retried or
// repeated record finds nothing left to do.
func (u *Unlister) Handle(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	log := withRequestID(ctx, u.Log)
	for _, r := range e.Records {
		if r.EventName != string(events.DynamoDBOperationTypeRemove) || !dynamo.IsTrack(r.Change.OldImage) {
			continue // a set's own removal, a members entry's: nothing lists them
		}
		id, err := recordID(r)
		if err != nil {
			log.Warn("record ignored", slog.Any("error", err), slog.String("sequenceNumber", r.Change.SequenceNumber))
			continue
		}
		if err := u.Unlist(ctx, id); err != nil {
			log.Error("unlist failed; the record will be retried", slog.String("id", id), slog.Any("error", err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	return resp, nil
}
