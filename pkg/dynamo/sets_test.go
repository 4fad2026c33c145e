package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// TestSets runs the set store conformance suite against dynalite, in a tracks table as the
// functions use it, beside the tracks whose IDs the sets share.
func TestSets(t *testing.T) {
	st := localawstest.StartTest(t, "")
	client := st.DynamoDB()
	n := 0
	tracktest.TestSetStore(t, func(t *testing.T) (track.Store, track.SetStore) {
		n++
		table := fmt.Sprintf("sets%d", n)
		if err := localaws.EnsureTracksTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		return dynamo.New(client, table), &dynamo.Sets{API: client, Table: table}
	})
}
