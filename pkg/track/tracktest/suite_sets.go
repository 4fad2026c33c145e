package tracktest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// SampleSet returns a set of the given tracks.
func SampleSet(id string, now time.Time, tracks ...string) *track.Set {
	return &track.Set{
		ID: id, Title: "Live at the “Hall” — 日本 <b>&</b>", Tracks: tracks,
		TokenHash: track.HashToken("set-token-" + id), CreatedAt: now.UTC().Truncate(time.Second),
	}
}

// TestSetStore runs the conformance suite against the stores newStores returns: a Store and a
// SetStore on the same IDs (the same table). Each subtest uses IDs of its own.
func TestSetStore(t *testing.T, newStores func(t *testing.T) (track.Store, track.SetStore)) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("create then get round-trips every field, in order", func(t *testing.T) {
		_, s := newStores(t)
		want := SampleSet("SetRt0aa", now, "Trk003aa", "Trk001aa", "Trk002aa")
		if err := s.CreateSet(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetSet(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("GetSet = %+v\nwant     %+v", got, want)
		}
	})

	t.Run("a set and a track never share an ID", func(t *testing.T) {
		tracks, s := newStores(t)
		tr := Sample("Shared0a", now)
		if err := tracks.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSet(ctx, SampleSet(tr.ID, now, tr.ID)); !errors.Is(err, track.ErrIDTaken) {
			t.Fatalf("CreateSet on a track's ID = %v, want ErrIDTaken", err)
		}
		if _, err := s.GetSet(ctx, tr.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("GetSet of a track's ID = %v, want ErrNotFound", err)
		}
		set := SampleSet("Shared0b", now, tr.ID)
		if err := s.CreateSet(ctx, set); err != nil {
			t.Fatal(err)
		}
		if err := tracks.Create(ctx, Sample(set.ID, now)); !errors.Is(err, track.ErrIDTaken) {
			t.Fatalf("Create of a track on a set's ID = %v, want ErrIDTaken", err)
		}
		if _, err := tracks.Get(ctx, set.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Get of a set's ID as a track = %v, want ErrNotFound", err)
		}
		// No track write can reach a set: not a delete with the set's token hash, not a
		// touch, not a replace.
		if _, err := tracks.Delete(ctx, set.ID, set.TokenHash); err == nil {
			t.Fatal("a track delete removed a set")
		}
		if err := tracks.Touch(ctx, set.ID, now, now.Add(time.Hour)); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Touch of a set = %v, want ErrConflict", err)
		}
		fake := Sample(set.ID, now)
		if err := tracks.Replace(ctx, fake, Sample(set.ID, now)); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Replace of a set = %v, want ErrConflict", err)
		}
		if got, err := s.GetSet(ctx, set.ID); err != nil || !reflect.DeepEqual(got, set) {
			t.Fatalf("the set after track writes = %+v, %v", got, err)
		}
	})

	t.Run("create never overwrites a set", func(t *testing.T) {
		_, s := newStores(t)
		first := SampleSet("SetDup0a", now, "Trk001ab")
		if err := s.CreateSet(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := SampleSet(first.ID, now, "Trk002ab")
		if err := s.CreateSet(ctx, second); !errors.Is(err, track.ErrIDTaken) {
			t.Fatalf("second CreateSet = %v, want ErrIDTaken", err)
		}
		if got, _ := s.GetSet(ctx, first.ID); !slices.Equal(got.Tracks, first.Tracks) {
			t.Fatalf("second CreateSet overwrote the set: %v", got.Tracks)
		}
	})

	t.Run("get of an unknown set", func(t *testing.T) {
		_, s := newStores(t)
		if _, err := s.GetSet(ctx, "NoSet0aa"); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("GetSet = %v, want ErrNotFound", err)
		}
	})

	t.Run("replace and delete are conditional on the version", func(t *testing.T) {
		_, s := newStores(t)
		set := SampleSet("SetVer0a", now, "Trk001ac", "Trk002ac")
		if err := s.CreateSet(ctx, set); err != nil {
			t.Fatal(err)
		}
		read, _ := s.GetSet(ctx, set.ID)
		next := *read
		next.Title, next.Tracks = "Other", []string{"Trk002ac"}
		if err := s.ReplaceSet(ctx, read, &next); err != nil {
			t.Fatal(err)
		}
		if next.Version != read.Version+1 {
			t.Fatalf("next.Version = %d, want %d", next.Version, read.Version+1)
		}
		stale := next
		stale.Title = "lost"
		if err := s.ReplaceSet(ctx, read, &stale); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("ReplaceSet from a stale read = %v, want ErrConflict", err)
		}
		if err := s.DeleteSet(ctx, read); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("DeleteSet of a stale read = %v, want ErrConflict", err)
		}
		got, err := s.GetSet(ctx, set.ID)
		if err != nil || got.Title != "Other" || !slices.Equal(got.Tracks, []string{"Trk002ac"}) || got.Version != next.Version {
			t.Fatalf("GetSet = %+v, %v", got, err)
		}
		if err := s.DeleteSet(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSet(ctx, set.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("GetSet after DeleteSet = %v", err)
		}
		if err := s.DeleteSet(ctx, got); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("second DeleteSet = %v, want ErrConflict", err)
		}
		if err := s.ReplaceSet(ctx, got, &next); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("ReplaceSet of a deleted set = %v, want ErrConflict", err)
		}
	})

	t.Run("the members index: join, leave and forget are idempotent", func(t *testing.T) {
		_, s := newStores(t)
		tracks := []string{"Mem001aa", "Mem002aa", "Mem001aa"}
		for range 2 {
			if err := s.Join(ctx, "SetMem0a", tracks); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Join(ctx, "SetMem0b", tracks[:1]); err != nil {
			t.Fatal(err)
		}
		sorted := func(ids []string, err error) []string {
			if err != nil {
				t.Fatal(err)
			}
			return slices.Sorted(slices.Values(ids))
		}
		if got := sorted(s.SetsOf(ctx, "Mem001aa")); !slices.Equal(got, []string{"SetMem0a", "SetMem0b"}) {
			t.Fatalf("SetsOf = %v", got)
		}
		for range 2 {
			if err := s.Leave(ctx, "SetMem0a", tracks); err != nil {
				t.Fatal(err)
			}
		}
		if got := sorted(s.SetsOf(ctx, "Mem001aa")); !slices.Equal(got, []string{"SetMem0b"}) {
			t.Fatalf("SetsOf after Leave = %v", got)
		}
		if got := sorted(s.SetsOf(ctx, "Mem002aa")); len(got) != 0 {
			t.Fatalf("SetsOf after Leave = %v", got)
		}
		// Leaving a track that never joined anything creates nothing.
		if err := s.Leave(ctx, "SetMem0a", []string{"Mem003aa"}); err != nil {
			t.Fatal(err)
		}
		if got := sorted(s.SetsOf(ctx, "Mem003aa")); len(got) != 0 {
			t.Fatalf("SetsOf of a track in no set = %v", got)
		}
		for range 2 {
			if err := s.Forget(ctx, "Mem001aa"); err != nil {
				t.Fatal(err)
			}
		}
		if got := sorted(s.SetsOf(ctx, "Mem001aa")); len(got) != 0 {
			t.Fatalf("SetsOf after Forget = %v", got)
		}
	})

	t.Run("tracks are read in bulk, past a page of 100", func(t *testing.T) {
		tracks, s := newStores(t)
		var ids []string
		for i := range 130 {
			id := fmt.Sprintf("Bulk%04d", i)
			ids = append(ids, id)
			if i%10 == 3 {
				continue // never created
			}
			tr := Sample(id, now)
			if i%10 == 7 {
				tr.ExpiresAt = now.Add(-time.Hour) // past its life, still an item
			}
			if err := tracks.Create(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
		set := SampleSet("BulkSet0", now, ids[0])
		if err := s.CreateSet(ctx, set); err != nil {
			t.Fatal(err)
		}
		got, err := s.Tracks(ctx, append(append(slices.Clone(ids), ids[5], set.ID), "Absent00"))
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			tr, ok := got[id]
			if ok != (i%10 != 3) {
				t.Fatalf("Tracks[%s] present = %v", id, ok)
			}
			if ok && (tr.ID != id || tr.Filename == "") {
				t.Fatalf("Tracks[%s] = %+v", id, tr)
			}
		}
		if _, ok := got[set.ID]; ok {
			t.Fatal("Tracks returned a set as a track")
		}
		if len(got) != 117 {
			t.Fatalf("Tracks returned %d, want 117", len(got))
		}
	})
}
