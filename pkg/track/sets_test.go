package track_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

var setStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type setsFixture struct {
	sets   *track.Sets
	tracks *tracktest.MemStore
	store  *tracktest.MemSets
	clock  *tracktest.Clock
}

func newSets(t *testing.T) *setsFixture {
	t.Helper()
	c := tracktest.NewClock(setStart)
	tracks := tracktest.NewMemStore()
	store := tracktest.NewMemSets(tracks)
	svc := &track.Service{
		Store: tracks, Blobs: tracktest.NewMemBlobs(), Now: c.Now,
		Rand:   mrand.NewChaCha8([32]byte{'s', 'e', 't', 's'}),
		Config: track.Config{Retention: 336 * time.Hour, MediaURLTTL: 30 * time.Minute},
	}
	return &setsFixture{sets: &track.Sets{Store: store, Tracks: svc}, tracks: tracks, store: store, clock: c}
}

// track stores a ready track that expires after life; its delete token is "token-<id>".
func (f *setsFixture) track(t *testing.T, id string, life time.Duration) track.SetEntry {
	t.Helper()
	tr := tracktest.Sample(id, setStart)
	tr.Status = track.StatusReady
	tr.ExpiresAt = setStart.Add(life)
	if err := f.tracks.Create(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	return track.SetEntry{ID: id, DeleteToken: "token-" + id}
}

// remove deletes a track's item, as its uploader or the TTL does.
func (f *setsFixture) remove(t *testing.T, id string) {
	t.Helper()
	if _, err := f.tracks.Delete(context.Background(), id, track.HashToken("token-"+id)); err != nil {
		t.Fatal(err)
	}
}

func (f *setsFixture) setsOf(t *testing.T, id string) []string {
	t.Helper()
	s, err := f.store.SetsOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(ts []*track.Track) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestValidateSet(t *testing.T) {
	one := []track.SetEntry{{ID: "Abcdef12", DeleteToken: "x"}}
	many := func(n int) []track.SetEntry {
		es := make([]track.SetEntry, n)
		for i := range es {
			es[i] = track.SetEntry{ID: fmt.Sprintf("T%07d", i), DeleteToken: "x"}
		}
		return es
	}
	tests := []struct {
		name string
		req  track.SetRequest
		code string // "" for valid
	}{
		{"one track", track.SetRequest{Title: "Album", Tracks: one}, ""},
		{"1,000 tracks", track.SetRequest{Title: "Library", Tracks: many(1000)}, ""},
		{"200-byte title", track.SetRequest{Title: strings.Repeat("é", 100), Tracks: one}, ""},
		{"markup and quotes are text", track.SetRequest{Title: `<script>alert("x")</script> & 'co'`, Tracks: one}, ""},
		{"right-to-left text", track.SetRequest{Title: "אלבום", Tracks: one}, ""},
		{"empty title", track.SetRequest{Title: "", Tracks: one}, track.EInvalidTitle},
		{"201-byte title", track.SetRequest{Title: strings.Repeat("a", 201), Tracks: one}, track.EInvalidTitle},
		{"invalid UTF-8", track.SetRequest{Title: "album\xff", Tracks: one}, track.EInvalidTitle},
		{"newline", track.SetRequest{Title: "a\nb", Tracks: one}, track.EInvalidTitle},
		{"NUL", track.SetRequest{Title: "a\x00b", Tracks: one}, track.EInvalidTitle},
		{"C1 control", track.SetRequest{Title: "a\u0085b", Tracks: one}, track.EInvalidTitle},
		{"right-to-left override", track.SetRequest{Title: "a\u202eb", Tracks: one}, track.EInvalidTitle},
		{"zero-width space", track.SetRequest{Title: "a\u200bb", Tracks: one}, track.EInvalidTitle},
		{"no tracks", track.SetRequest{Title: "Album"}, track.EInvalidRequest},
		{"1,001 tracks", track.SetRequest{Title: "Library", Tracks: many(1001)}, track.EInvalidRequest},
		{"a track twice", track.SetRequest{Title: "Album", Tracks: append(many(3), many(2)[1])}, track.EInvalidRequest},
		{"a track without an id", track.SetRequest{Title: "Album", Tracks: []track.SetEntry{{DeleteToken: "x"}}}, track.EInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := track.ValidateSet(tc.req)
			if got := track.ErrorCode(err); got != tc.code {
				t.Fatalf("ValidateSet = %v, want code %q", err, tc.code)
			}
			if err != nil && track.ErrorMessage(err) == "" {
				t.Fatal("no message")
			}
		})
	}
}

func TestSetCreate(t *testing.T) {
	ctx := context.Background()

	t.Run("tracks in the order given, each track's view, the latest expiry", func(t *testing.T) {
		f := newSets(t)
		a, b, c := f.track(t, "TrackAaa", time.Hour), f.track(t, "TrackBbb", 3*time.Hour), f.track(t, "TrackCcc", 2*time.Hour)
		got, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{c, a, b}})
		if err != nil {
			t.Fatal(err)
		}
		if !track.ValidID(got.Set.ID) || len(got.Set.ID) != track.IDLength {
			t.Fatalf("ID %q", got.Set.ID)
		}
		if want := []string{"TrackCcc", "TrackAaa", "TrackBbb"}; !slices.Equal(ids(got.Tracks), want) || !slices.Equal(got.Set.Tracks, want) {
			t.Fatalf("tracks %v / %v, want %v", ids(got.Tracks), got.Set.Tracks, want)
		}
		if !got.ExpiresAt.Equal(setStart.Add(3 * time.Hour)) {
			t.Fatalf("ExpiresAt = %v, want the latest track's", got.ExpiresAt)
		}
		if got.DeleteToken == "" || got.Set.TokenHash != track.HashToken(got.DeleteToken) || strings.Contains(got.Set.TokenHash, got.DeleteToken) {
			t.Fatalf("token %q, stored hash %q", got.DeleteToken, got.Set.TokenHash)
		}
		if !got.Set.CreatedAt.Equal(setStart) {
			t.Fatalf("CreatedAt = %v", got.Set.CreatedAt)
		}
		for _, id := range got.Set.Tracks {
			if s := f.setsOf(t, id); !slices.Equal(s, []string{got.Set.ID}) {
				t.Fatalf("SetsOf(%s) = %v", id, s)
			}
		}
		// Two sets of the same tracks are two sets.
		again, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a}})
		if err != nil || again.Set.ID == got.Set.ID || again.DeleteToken == got.DeleteToken {
			t.Fatalf("second set = %+v, %v", again, err)
		}
	})

	refusals := []struct {
		name    string
		entries func(f *setsFixture) []track.SetEntry
		code    string
		naming  string // what the message must name, if anything
		hiding  string // what it must not
	}{
		{"an unknown track", func(f *setsFixture) []track.SetEntry {
			return []track.SetEntry{f.track(t, "KnownAaa", time.Hour), {ID: "Unknown1", DeleteToken: "x"}}
		}, track.ENotFound, "Unknown1", ""},
		{"a malformed ID", func(f *setsFixture) []track.SetEntry {
			return []track.SetEntry{{ID: "../x", DeleteToken: "x"}}
		}, track.ENotFound, "", ""},
		{"an expired track", func(f *setsFixture) []track.SetEntry {
			return []track.SetEntry{f.track(t, "OldTrack", -time.Second)}
		}, track.ENotFound, "OldTrack", ""},
		{"a set's ID", func(f *setsFixture) []track.SetEntry {
			c, err := f.sets.Create(context.Background(), track.SetRequest{Title: "x", Tracks: []track.SetEntry{f.track(t, "InSetAaa", time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			return []track.SetEntry{{ID: c.Set.ID, DeleteToken: c.DeleteToken}}
		}, track.ENotFound, "", ""},
		{"a wrong token", func(f *setsFixture) []track.SetEntry {
			b := f.track(t, "SecretBb", time.Hour)
			b.DeleteToken = "token-other"
			return []track.SetEntry{f.track(t, "MineAaaa", time.Hour), b}
		}, track.EForbidden, "", "SecretBb"},
		{"an empty token", func(f *setsFixture) []track.SetEntry {
			a := f.track(t, "NoTokenA", time.Hour)
			a.DeleteToken = ""
			return []track.SetEntry{a}
		}, track.EForbidden, "", "NoTokenA"},
		{"a bad title", func(f *setsFixture) []track.SetEntry {
			return []track.SetEntry{f.track(t, "TitleAaa", time.Hour)}
		}, track.EInvalidTitle, "", ""},
	}
	for _, tc := range refusals {
		t.Run("refuses "+tc.name+" and writes nothing", func(t *testing.T) {
			f := newSets(t)
			entries := tc.entries(f)
			before := f.store.Sets()
			title := "Album"
			if tc.code == track.EInvalidTitle {
				title = "bad\ttitle"
			}
			_, err := f.sets.Create(ctx, track.SetRequest{Title: title, Tracks: entries})
			wantCode(t, err, tc.code)
			msg := track.ErrorMessage(err)
			if tc.naming != "" && !strings.Contains(msg, tc.naming) {
				t.Errorf("message %q does not name %s", msg, tc.naming)
			}
			if tc.hiding != "" && strings.Contains(msg, tc.hiding) {
				t.Errorf("message %q names %s", msg, tc.hiding)
			}
			if f.store.Sets() != before {
				t.Fatal("a set was stored")
			}
			for _, e := range entries {
				if s := f.setsOf(t, e.ID); len(s) != 0 && tc.name != "a set's ID" {
					t.Fatalf("SetsOf(%s) = %v", e.ID, s)
				}
			}
		})
	}

	t.Run("a track removed while the set is made is dropped from it", func(t *testing.T) {
		f := newSets(t)
		a, b := f.track(t, "StaysAaa", time.Hour), f.track(t, "GoesBbbb", time.Hour)
		// The track goes after the checks, and its removal runs Unlist before the set exists:
		// the index does not name the set yet (or names a set that is not stored).
		f.store.JoinHook = func(string, []string) {
			f.store.JoinHook = nil
			f.remove(t, b.ID)
			if err := f.sets.Unlist(ctx, b.ID); err != nil {
				t.Error(err)
			}
		}
		got, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a, b}})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := f.store.GetSet(ctx, got.Set.ID)
		if err != nil || !slices.Equal(stored.Tracks, []string{a.ID}) || !slices.Equal(ids(got.Tracks), []string{a.ID}) {
			t.Fatalf("stored %+v (%v), answered %v; want only %s", stored, err, ids(got.Tracks), a.ID)
		}
		if s := f.setsOf(t, b.ID); len(s) != 0 {
			t.Fatalf("the gone track is still indexed: %v", s)
		}
	})

	t.Run("a set whose only track went while it was made is not left behind", func(t *testing.T) {
		f := newSets(t)
		a := f.track(t, "OnlyAaaa", time.Hour)
		f.store.JoinHook = func(string, []string) {
			f.store.JoinHook = nil
			f.remove(t, a.ID)
		}
		_, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a}})
		wantCode(t, err, track.ENotFound)
		if n := f.store.Sets(); n != 0 {
			t.Fatalf("%d sets stored", n)
		}
	})
}

func TestSetGet(t *testing.T) {
	ctx := context.Background()
	f := newSets(t)
	a, b, c := f.track(t, "GetAaaaa", time.Hour), f.track(t, "GetBbbbb", 2*time.Hour), f.track(t, "GetCcccc", 3*time.Hour)
	made, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a, b, c}})
	if err != nil {
		t.Fatal(err)
	}
	id := made.Set.ID

	for _, bad := range []string{"", "abc", "Bad/Id12", "TrackOne", a.ID} {
		if _, err := f.sets.Get(ctx, bad); !errors.Is(err, track.ErrSetNotFound) {
			t.Errorf("Get(%q) = %v, want ErrSetNotFound", bad, err)
		}
	}

	// Reading a set is no listen: its tracks keep their expiry.
	f.clock.Advance(30 * time.Minute)
	v, err := f.sets.Get(ctx, id)
	if err != nil || !slices.Equal(ids(v.Tracks), []string{a.ID, b.ID, c.ID}) {
		t.Fatalf("Get = %v, %v", v, err)
	}
	for _, e := range []track.SetEntry{a, b, c} {
		tr, _ := f.tracks.Get(ctx, e.ID)
		if tr.ExpiresAt.After(setStart.Add(3 * time.Hour)) {
			t.Fatalf("reading the set slid %s's expiry to %v", e.ID, tr.ExpiresAt)
		}
	}

	// Past the first track's life (its item not yet removed), then without the second's item.
	f.clock.Set(setStart.Add(time.Hour))
	f.remove(t, b.ID)
	if v, err = f.sets.Get(ctx, id); err != nil || !slices.Equal(ids(v.Tracks), []string{c.ID}) || !v.ExpiresAt.Equal(setStart.Add(3*time.Hour)) {
		t.Fatalf("Get = %+v, %v; want only %s", v, err, c.ID)
	}
	// Past every track's life: the set is gone for readers, whatever the table still holds.
	f.clock.Set(setStart.Add(3 * time.Hour))
	if _, err := f.sets.Get(ctx, id); !errors.Is(err, track.ErrSetNotFound) {
		t.Fatalf("Get of a set whose tracks are all gone = %v", err)
	}
}

func TestSetReplace(t *testing.T) {
	ctx := context.Background()
	f := newSets(t)
	a, b, c := f.track(t, "RepAaaaa", time.Hour), f.track(t, "RepBbbbb", time.Hour), f.track(t, "RepCcccc", time.Hour)
	made, err := f.sets.Create(ctx, track.SetRequest{Title: "Old", Tracks: []track.SetEntry{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	id := made.Set.ID
	next := track.SetRequest{Title: "New", Tracks: []track.SetEntry{c, a}}

	for _, tok := range []string{"", "wrong", a.DeleteToken} {
		_, err := f.sets.Replace(ctx, id, tok, next)
		wantCode(t, err, track.EForbidden)
	}
	wrongTrack := track.SetRequest{Title: "New", Tracks: []track.SetEntry{{ID: c.ID, DeleteToken: "nope"}}}
	_, err = f.sets.Replace(ctx, id, made.DeleteToken, wrongTrack)
	wantCode(t, err, track.EForbidden)
	_, err = f.sets.Replace(ctx, "Missing1", made.DeleteToken, next)
	wantCode(t, err, track.ENotFound)
	if s, _ := f.store.GetSet(ctx, id); s.Title != "Old" || s.Version != 0 {
		t.Fatalf("a refused replace changed the set: %+v", s)
	}

	v, err := f.sets.Replace(ctx, id, made.DeleteToken, next)
	if err != nil {
		t.Fatal(err)
	}
	if v.Set.ID != id || v.Set.Title != "New" || !slices.Equal(ids(v.Tracks), []string{c.ID, a.ID}) ||
		v.Set.TokenHash != made.Set.TokenHash || !v.Set.CreatedAt.Equal(made.Set.CreatedAt) {
		t.Fatalf("Replace = %+v", v.Set)
	}
	for track, want := range map[string][]string{a.ID: {id}, b.ID: nil, c.ID: {id}} {
		if got := f.setsOf(t, track); !slices.Equal(got, want) {
			t.Fatalf("SetsOf(%s) = %v, want %v", track, got, want)
		}
	}
}

func TestSetDelete(t *testing.T) {
	ctx := context.Background()
	f := newSets(t)
	a, b := f.track(t, "DelAaaaa", time.Hour), f.track(t, "DelBbbbb", time.Hour)
	made, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	id := made.Set.ID
	for _, tok := range []string{"", "wrong", a.DeleteToken} {
		wantCode(t, f.sets.Delete(ctx, id, tok), track.EForbidden)
	}
	if err := f.sets.Delete(ctx, id, made.DeleteToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sets.Get(ctx, id); !errors.Is(err, track.ErrSetNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	wantCode(t, f.sets.Delete(ctx, id, made.DeleteToken), track.ENotFound)
	for _, e := range []track.SetEntry{a, b} {
		if _, err := f.tracks.Get(ctx, e.ID); err != nil {
			t.Fatalf("deleting the set took track %s: %v", e.ID, err)
		}
		if s := f.setsOf(t, e.ID); len(s) != 0 {
			t.Fatalf("SetsOf(%s) = %v after the set's deletion", e.ID, s)
		}
	}
}

func TestSetUnlist(t *testing.T) {
	ctx := context.Background()
	f := newSets(t)
	a, b, c := f.track(t, "UnlAaaaa", time.Hour), f.track(t, "UnlBbbbb", time.Hour), f.track(t, "UnlCcccc", time.Hour)
	one, err := f.sets.Create(ctx, track.SetRequest{Title: "One", Tracks: []track.SetEntry{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	two, err := f.sets.Create(ctx, track.SetRequest{Title: "Two", Tracks: []track.SetEntry{b, c}})
	if err != nil {
		t.Fatal(err)
	}
	stored := func(id string) *track.Set {
		s, err := f.store.GetSet(ctx, id)
		if errors.Is(err, track.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// b goes: both sets lose it, each once however often the removal is delivered.
	f.remove(t, b.ID)
	for range 2 {
		if err := f.sets.Unlist(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		s1, s2 := stored(one.Set.ID), stored(two.Set.ID)
		if !slices.Equal(s1.Tracks, []string{a.ID}) || !slices.Equal(s2.Tracks, []string{c.ID}) || s1.Version != 1 || s2.Version != 1 {
			t.Fatalf("after b: %+v, %+v", s1, s2)
		}
	}
	// a goes: set one goes with its last track; set two stays.
	f.remove(t, a.ID)
	for range 2 {
		if err := f.sets.Unlist(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if s := stored(one.Set.ID); s != nil {
			t.Fatalf("set one outlived its last track: %+v", s)
		}
		if s := stored(two.Set.ID); s == nil || s.Version != 1 {
			t.Fatalf("set two changed: %+v", s)
		}
	}
	if s := f.setsOf(t, a.ID); len(s) != 0 {
		t.Fatalf("SetsOf(a) = %v", s)
	}
	// A track in no set: nothing to do.
	if err := f.sets.Unlist(ctx, "NoSetsAa"); err != nil {
		t.Fatal(err)
	}
}

func TestSetUnlistRetriesALostRace(t *testing.T) {
	ctx := context.Background()
	f := newSets(t)
	a, b := f.track(t, "RaceAaaa", time.Hour), f.track(t, "RaceBbbb", time.Hour)
	made, err := f.sets.Create(ctx, track.SetRequest{Title: "Album", Tracks: []track.SetEntry{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	// Another writer wins the first attempt: the removal reads the set again and retries.
	lost := 0
	f.store.WriteHook = func(*track.Set) error {
		if lost < 3 {
			lost++
			return track.ErrConflict
		}
		return nil
	}
	f.remove(t, a.ID)
	if err := f.sets.Unlist(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.store.GetSet(ctx, made.Set.ID); !slices.Equal(s.Tracks, []string{b.ID}) || lost != 3 {
		t.Fatalf("set %+v after %d lost races", s, lost)
	}
	// A writer that always wins: the removal fails (and its record is retried), changing nothing.
	f.store.WriteHook = func(*track.Set) error { return track.ErrConflict }
	f.remove(t, b.ID)
	if err := f.sets.Unlist(ctx, b.ID); err == nil {
		t.Fatal("Unlist succeeded against a writer that always wins")
	}
	if s, _ := f.store.GetSet(ctx, made.Set.ID); !slices.Equal(s.Tracks, []string{b.ID}) {
		t.Fatalf("set %+v", s)
	}
	if s := f.setsOf(t, b.ID); !slices.Equal(s, []string{made.Set.ID}) {
		t.Fatalf("the index entry went before the set was settled: %v", s)
	}
}
