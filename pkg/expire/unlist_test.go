package expire_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// otherRecords are the REMOVE records of a set and of a members entry (AWS format).
func otherRecords(t *testing.T) []events.DynamoDBEventRecord {
	t.Helper()
	raw, err := os.ReadFile("testdata/stream-set-remove.json")
	if err != nil {
		t.Fatal(err)
	}
	var e events.DynamoDBEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e.Records
}

// setsWith returns the sets service over fakes holding ready tracks ids (tokens "token-<id>").
func setsWith(t *testing.T, ids ...string) (*track.Sets, *tracktest.MemStore, *tracktest.MemSets) {
	t.Helper()
	tracks := tracktest.NewMemStore()
	store := tracktest.NewMemSets(tracks)
	now := time.Now()
	for _, id := range ids {
		tr := tracktest.Sample(id, now)
		tr.Status, tr.ExpiresAt = track.StatusReady, now.Add(time.Hour)
		if err := tracks.Create(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
	}
	svc := &track.Service{Store: tracks, Now: time.Now, Rand: mrand.NewChaCha8([32]byte{'u'})}
	return &track.Sets{Store: store, Tracks: svc}, tracks, store
}

// TestUnlistTwice: a track's removal, delivered twice (and once more in a later batch), drops it
// from its set once, and the set goes with its last track.
func TestUnlistTwice(t *testing.T) {
	ctx := context.Background()
	sets, tracks, store := setsWith(t, "Aaaa00aa", "Bbbb00bb")
	made, err := sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{
		{ID: "Aaaa00aa", DeleteToken: "token-Aaaa00aa"}, {ID: "Bbbb00bb", DeleteToken: "token-Bbbb00bb"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	u := &expire.Unlister{Unlist: sets.Unlist, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	gone := func(id string, ttl bool, seq string) events.DynamoDBEventRecord {
		if _, err := tracks.Delete(ctx, id, track.HashToken("token-"+id)); err != nil && !errors.Is(err, track.ErrNotFound) {
			t.Fatal(err)
		}
		return record(t, id, seq, ttl)
	}

	a := gone("Aaaa00aa", true, "001")
	for range 2 {
		resp, err := u.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{a, a}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%+v %v", resp, err)
		}
		s, err := store.GetSet(ctx, made.Set.ID)
		if err != nil || !slices.Equal(s.Tracks, []string{"Bbbb00bb"}) || s.Version != 1 {
			t.Fatalf("set after a's removal: %+v %v", s, err)
		}
	}
	b := gone("Bbbb00bb", false, "002")
	for range 2 {
		resp, err := u.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{b, a, b}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%+v %v", resp, err)
		}
		if _, err := store.GetSet(ctx, made.Set.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("the set outlived its last track: %v", err)
		}
		if store.Sets() != 0 {
			t.Fatalf("%d sets left", store.Sets())
		}
	}
}

func TestUnlistReportsFailures(t *testing.T) {
	var got []string
	u := &expire.Unlister{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Unlist: func(_ context.Context, id string) error {
		got = append(got, id)
		if id == "Bbbb00bb" {
			return errors.New("ProvisionedThroughputExceededException")
		}
		return nil
	}}
	e := events.DynamoDBEvent{Records: append([]events.DynamoDBEventRecord{
		record(t, "Aaaa00aa", "001", true), record(t, "Bbbb00bb", "002", false), record(t, "Cccc00cc", "003", true),
	}, otherRecords(t)...)}
	resp, err := u.Handle(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "002" {
		t.Fatalf("failures = %+v, want exactly 002", resp.BatchItemFailures)
	}
	// The set's and the members entry's removals unlist nothing.
	if !slices.Equal(got, []string{"Aaaa00aa", "Bbbb00bb", "Cccc00cc"}) {
		t.Fatalf("unlisted %v", got)
	}
}

// TestExpireIgnoresSets: a set's removal (and a members entry's) purges no objects, even those
// under a prefix named like the set.
func TestExpireIgnoresSets(t *testing.T) {
	b := tracktest.NewMemBlobs()
	plant(b, "Ab3dEf9Z")
	var prefixes []string
	b.DeleteHook = func(prefix string) error {
		prefixes = append(prefixes, prefix)
		return nil
	}
	resp, err := handler(b).Handle(context.Background(), events.DynamoDBEvent{Records: otherRecords(t)})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(prefixes) != 0 || len(b.Keys("")) != 3 {
		t.Fatalf("deleted under %v; left %v", prefixes, b.Keys(""))
	}
}
