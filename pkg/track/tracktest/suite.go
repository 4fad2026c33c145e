package tracktest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Sample returns a pending track with every field set that a pending track has.
func Sample(id string, now time.Time) *track.Track {
	now = now.UTC().Truncate(time.Second)
	return &track.Track{
		ID: id, Status: track.StatusPending,
		Filename: "Söng (live) \"x\".mp3", Type: "audio/mpeg", Size: 4812345,
		MD5: "1B2M2Y8AsgTpgAmY7PhCfg==", Downloadable: true, Public: false,
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		OriginalKey:     track.OriginalKey(id, "0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42"),
		DeleteTokenHash: track.HashToken("token-" + id),
	}
}

// TestStore runs the conformance suite against the store that newStore returns. Each subtest
// gets a fresh store (or at least fresh IDs).
func TestStore(t *testing.T, newStore func(t *testing.T) track.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("create then get round-trips every field", func(t *testing.T) {
		s := newStore(t)
		want := Sample("Rt0000aa", now)
		want.Status = track.StatusReady
		want.UploadedAt = now.Add(time.Second)
		want.Duration = 241.37
		want.Audio = &track.Audio{Codec: "mp3", Bitrate: 320000, SampleRate: 44100, Channels: 2}
		want.Tags = &track.Tags{Title: "Song", Artist: "Band", Album: "Live", Year: 2019, Track: 3, Genre: "Rock"}
		want.CoverKey, want.CoverType = "derived/Rt0000aa/cover.jpg", "image/jpeg"
		want.CoverWidth, want.CoverHeight = 600, 500
		want.CardKey = "derived/Rt0000aa/card.png" // not with a cover in practice; a round trip all the same
		want.Theme = &track.Theme{Background: "#1a2b3c", Foreground: "#fafafa", Accent: "#ff8800"}
		want.PreviewKey, want.PlaylistKey, want.WaveformKey = "derived/Rt0000aa/preview.ogg", "derived/Rt0000aa/hls/index.m3u8", "derived/Rt0000aa/waveform.json"
		want.UploadID, want.PartSize, want.PartCount = "2~a.b_c-d", 16<<20, 128
		if err := s.Create(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Get = %+v\nwant  %+v", got, want)
		}
	})

	t.Run("create never overwrites", func(t *testing.T) {
		s := newStore(t)
		first := Sample("Dup000aa", now)
		if err := s.Create(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := Sample("Dup000aa", now)
		second.Filename = "other.mp3"
		if err := s.Create(ctx, second); !errors.Is(err, track.ErrIDTaken) {
			t.Fatalf("second Create = %v, want ErrIDTaken", err)
		}
		got, _ := s.Get(ctx, first.ID)
		if got.Filename != first.Filename {
			t.Fatalf("second Create overwrote the item: %q", got.Filename)
		}
	})

	t.Run("get of an unknown ID", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "Nope00aa"); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Get = %v, want ErrNotFound", err)
		}
	})

	t.Run("replace is conditional on the status", func(t *testing.T) {
		s := newStore(t)
		tr := Sample("Rep000aa", now)
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		next := *tr
		next.Status = track.StatusProcessing
		next.UploadedAt = now
		if err := s.Replace(ctx, tr, &next); err != nil {
			t.Fatalf("pending → processing: %v", err)
		}
		// The same transition again (a duplicate event) must lose and change nothing.
		again := next
		again.Filename = "changed.mp3"
		if err := s.Replace(ctx, tr, &again); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("duplicate transition = %v, want ErrConflict", err)
		}
		got, _ := s.Get(ctx, tr.ID)
		if got.Status != track.StatusProcessing || got.Filename != tr.Filename {
			t.Fatalf("after the duplicate: %+v", got)
		}
		// Replace never resurrects a missing item.
		ghost := Sample("Ghost0aa", now)
		ghostNext := *ghost
		if err := s.Replace(ctx, ghost, &ghostNext); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Replace of a missing item = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, ghost.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Replace created an item: %v", err)
		}
	})

	t.Run("replace is conditional on the version read", func(t *testing.T) {
		s := newStore(t)
		tr := Sample("Ver000aa", now)
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		a, b := *tr, *tr // two writers read the same item
		a.Status, b.Status = track.StatusProcessing, track.StatusProcessing
		if err := s.Replace(ctx, tr, &a); err != nil {
			t.Fatal(err)
		}
		if a.Version != tr.Version+1 {
			t.Fatalf("Version after Replace = %d, want %d", a.Version, tr.Version+1)
		}
		// b read the same pending item; the transition from processing now needs the version
		// a wrote, so b's stale write loses although the status matches.
		b.LeaseUntil = now.Add(time.Hour)
		stale := *tr
		stale.Status = track.StatusProcessing
		if err := s.Replace(ctx, &stale, &b); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("stale Replace = %v, want ErrConflict", err)
		}
		lease := a
		lease.LeaseUntil, lease.Attempts, lease.SweepAt = now.Add(time.Hour), 1, now.Add(time.Hour)
		if err := s.Replace(ctx, &a, &lease); err != nil {
			t.Fatalf("Replace with the current version = %v", err)
		}
		got, _ := s.Get(ctx, tr.ID)
		if !reflect.DeepEqual(got, &lease) {
			t.Fatalf("Get = %+v\nwant  %+v", got, &lease)
		}
	})

	t.Run("due lists in-flight tracks whose sweep time has come", func(t *testing.T) {
		s := newStore(t)
		mk := func(id string, status track.Status, at time.Time) {
			t.Helper()
			tr := Sample(id, now)
			tr.Status, tr.SweepAt = status, at
			if err := s.Create(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
		mk("DueP01aa", track.StatusPending, now.Add(-time.Minute))
		mk("DueP02aa", track.StatusPending, now.Add(time.Minute))
		mk("DueQ01aa", track.StatusProcessing, now)
		mk("DueQ02aa", track.StatusProcessing, now.Add(time.Hour))
		mk("DueR01aa", track.StatusReady, now.Add(-time.Hour)) // never in flight
		mk("DueN01aa", track.StatusPending, time.Time{})       // no sweep time
		for _, tt := range []struct {
			status track.Status
			until  time.Time
			want   []string
		}{
			{track.StatusPending, now, []string{"DueP01aa"}},
			{track.StatusPending, now.Add(time.Minute), []string{"DueP01aa", "DueP02aa"}},
			{track.StatusProcessing, now, []string{"DueQ01aa"}},
			{track.StatusProcessing, now.Add(2 * time.Hour), []string{"DueQ01aa", "DueQ02aa"}},
			{track.StatusReady, now.Add(2 * time.Hour), nil},
		} {
			got, err := s.Due(ctx, tt.status, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Due(%s, %v) = %q, want %q", tt.status, tt.until, got, tt.want)
			}
		}
		// A track that leaves flight leaves the index.
		done, _ := s.Get(ctx, "DueQ01aa")
		before := *done
		done.Status, done.SweepAt = track.StatusReady, time.Time{}
		if err := s.Replace(ctx, &before, done); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Due(ctx, track.StatusProcessing, now.Add(2*time.Hour)); !slices.Equal(got, []string{"DueQ02aa"}) {
			t.Errorf("Due after the track became ready = %q, want only DueQ02aa", got)
		}
	})

	t.Run("touch slides only a ready track whose expiry is unchanged", func(t *testing.T) {
		s := newStore(t)
		tr := Sample("Tch000aa", now)
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		later := now.Add(48 * time.Hour)
		if err := s.Touch(ctx, tr.ID, tr.ExpiresAt, later); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Touch of a pending track = %v, want ErrConflict", err)
		}
		ready := *tr
		ready.Status = track.StatusReady
		if err := s.Replace(ctx, tr, &ready); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, tr.ID, tr.ExpiresAt, later); err != nil {
			t.Fatalf("Touch = %v", err)
		}
		if got, _ := s.Get(ctx, tr.ID); !got.ExpiresAt.Equal(later) {
			t.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, later)
		}
		// A second reader who read the old expiry loses, harmlessly.
		if err := s.Touch(ctx, tr.ID, tr.ExpiresAt, later.Add(time.Hour)); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("stale Touch = %v, want ErrConflict", err)
		}
		if err := s.Touch(ctx, "Nope00aa", now, later); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Touch of a missing item = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, "Nope00aa"); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Touch created an item: %v", err)
		}
	})

	t.Run("extend slides only a pending track, never back", func(t *testing.T) {
		s := newStore(t)
		tr := Sample("Ext000aa", now)
		tr.UploadID, tr.PartSize, tr.PartCount = "upload-1", 8<<20, 3
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		later := tr.ExpiresAt.Add(5 * time.Minute)
		if err := s.Extend(ctx, tr.ID, later); err != nil {
			t.Fatalf("Extend = %v", err)
		}
		got, _ := s.Get(ctx, tr.ID)
		want := *tr
		want.ExpiresAt = later
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("after Extend: %+v\nwant %+v", got, &want)
		}
		// Never earlier, never to the same time: a slower concurrent call loses, harmlessly.
		for _, to := range []time.Time{later, later.Add(-time.Minute)} {
			if err := s.Extend(ctx, tr.ID, to); !errors.Is(err, track.ErrConflict) {
				t.Errorf("Extend to %v = %v, want ErrConflict", to, err)
			}
		}
		// The version is left alone: a writer that read the track before still wins.
		next := *got
		next.Status = track.StatusProcessing
		if err := s.Replace(ctx, tr, &next); err != nil {
			t.Fatalf("Replace after Extend = %v, want it to win", err)
		}
		if err := s.Extend(ctx, tr.ID, later.Add(time.Hour)); !errors.Is(err, track.ErrConflict) {
			t.Errorf("Extend of a processing track = %v, want ErrConflict", err)
		}
		if err := s.Extend(ctx, "Nope00aa", later); !errors.Is(err, track.ErrConflict) {
			t.Errorf("Extend of a missing item = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, "Nope00aa"); !errors.Is(err, track.ErrNotFound) {
			t.Errorf("Extend created an item: %v", err)
		}
	})

	t.Run("delete needs the token hash and returns the old item", func(t *testing.T) {
		s := newStore(t)
		tr := Sample("Del000aa", now)
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Delete(ctx, tr.ID, track.HashToken("wrong")); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Delete with a wrong hash = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, tr.ID); err != nil {
			t.Fatalf("a refused Delete removed the item: %v", err)
		}
		old, err := s.Delete(ctx, tr.ID, tr.DeleteTokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(old, tr) {
			t.Fatalf("Delete returned %+v, want %+v", old, tr)
		}
		if _, err := s.Get(ctx, tr.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Get after Delete = %v", err)
		}
		if _, err := s.Delete(ctx, tr.ID, tr.DeleteTokenHash); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("second Delete = %v, want ErrNotFound", err)
		}
	})
}
