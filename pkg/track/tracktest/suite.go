package tracktest

import (
	"context"
	"errors"
	"reflect"
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
		want.Theme = &track.Theme{Background: "#1a2b3c", Foreground: "#fafafa", Accent: "#ff8800"}
		want.PreviewKey, want.PlaylistKey, want.WaveformKey = "derived/Rt0000aa/preview.ogg", "derived/Rt0000aa/hls/index.m3u8", "derived/Rt0000aa/waveform.json"
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
		if err := s.Replace(ctx, &next, track.StatusPending); err != nil {
			t.Fatalf("pending → processing: %v", err)
		}
		// The same transition again (a duplicate event) must lose and change nothing.
		again := next
		again.Filename = "changed.mp3"
		if err := s.Replace(ctx, &again, track.StatusPending); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("duplicate transition = %v, want ErrConflict", err)
		}
		got, _ := s.Get(ctx, tr.ID)
		if got.Status != track.StatusProcessing || got.Filename != tr.Filename {
			t.Fatalf("after the duplicate: %+v", got)
		}
		// Replace never resurrects a missing item.
		ghost := Sample("Ghost0aa", now)
		if err := s.Replace(ctx, ghost, track.StatusPending); !errors.Is(err, track.ErrConflict) {
			t.Fatalf("Replace of a missing item = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, ghost.ID); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Replace created an item: %v", err)
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
		if err := s.Replace(ctx, &ready, track.StatusPending); err != nil {
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
