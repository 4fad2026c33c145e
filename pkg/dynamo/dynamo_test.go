package dynamo_test

import (
	"context"
	"testing"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// TestStore runs the store conformance suite against dynalite, a real implementation of the
// DynamoDB API, through the same SDK calls the functions make in AWS.
func TestStore(t *testing.T) {
	st := localawstest.StartTest(t, "")
	client := st.DynamoDB()
	n := 0
	tracktest.TestStore(t, func(t *testing.T) track.Store {
		n++
		table := "tracks" + string(rune('a'+n))
		if err := localaws.EnsureTracksTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		if err := localaws.EnsureTracksTable(context.Background(), client, table); err != nil {
			t.Fatalf("EnsureTable is not idempotent: %v", err)
		}
		return dynamo.New(client, table)
	})
}
