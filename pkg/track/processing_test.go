package track_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

var announced = track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"}

// uploaded stores the original of c as its PUT would and lets some time pass.
func (f *fixture) uploaded(c *track.Created, info track.ObjectInfo) {
	f.blobs.Add(c.Track.OriginalKey, info)
	f.clock.Advance(3*time.Minute + 500*time.Millisecond)
}

// processing returns a track that Arrive moved to processing.
func (f *fixture) processing(t *testing.T) (*track.Created, *track.Track) {
	t.Helper()
	c := f.create(t, nil)
	f.uploaded(c, announced)
	tr, err := f.svc.Arrive(context.Background(), c.Track.OriginalKey)
	if err != nil || tr.Status != track.StatusProcessing {
		t.Fatalf("Arrive = %+v, %v; want the processing track", tr, err)
	}
	return c, tr
}

func TestArrive(t *testing.T) {
	ctx := context.Background()
	t.Run("the announced file", func(t *testing.T) {
		for _, info := range []track.ObjectInfo{announced, {Size: 4812345, ContentType: "AUDIO/MPEG"}, {Size: 4812345, ContentType: "audio/mpeg; charset=binary"}} {
			t.Run(info.ContentType, func(t *testing.T) {
				f := newFixture(t)
				c := f.create(t, nil)
				f.uploaded(c, info)
				now := f.clock.Now().Truncate(time.Second)
				got, err := f.svc.Arrive(ctx, c.Track.OriginalKey)
				if err != nil {
					t.Fatal(err)
				}
				want := *c.Track
				want.Status = track.StatusProcessing
				want.UploadedAt = now
				want.ExpiresAt = now.Add(testConfig.Retention)
				want.SweepAt = now.Add(2 * time.Minute)
				want.Version = 1
				if !reflect.DeepEqual(got, &want) {
					t.Errorf("Arrive = %+v\nwant %+v", got, &want)
				}
				if s := f.stored(t, c.Track.ID); !reflect.DeepEqual(s, &want) {
					t.Errorf("stored %+v\nwant %+v", s, &want)
				}
				// The same event again (S3 delivers at least once) changes nothing: it returns
				// the processing track, for Begin to decide whether a run is needed.
				f.clock.Advance(time.Minute)
				again, err := f.svc.Arrive(ctx, c.Track.OriginalKey)
				if err != nil || !reflect.DeepEqual(again, &want) {
					t.Errorf("duplicate Arrive = %+v, %v; want the stored track", again, err)
				}
				if s := f.stored(t, c.Track.ID); !reflect.DeepEqual(s, &want) {
					t.Errorf("duplicate changed the item to %+v", s)
				}
			})
		}
	})

	for _, tt := range []struct {
		name string
		info track.ObjectInfo
	}{
		{"larger", track.ObjectInfo{Size: 4812346, ContentType: "audio/mpeg"}},
		{"smaller", track.ObjectInfo{Size: 1, ContentType: "audio/mpeg"}},
		{"other audio type", track.ObjectInfo{Size: 4812345, ContentType: "audio/ogg"}},
		{"not audio", track.ObjectInfo{Size: 4812345, ContentType: "text/html"}},
		{"no type", track.ObjectInfo{Size: 4812345}},
	} {
		t.Run("mismatch "+tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			f.uploaded(c, tt.info)
			now := f.clock.Now().Truncate(time.Second)
			got, err := f.svc.Arrive(ctx, c.Track.OriginalKey)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != track.StatusFailed || got.FailureCode != track.EUploadMismatch || got.FailureMessage == "" {
				t.Errorf("Arrive = %s %q %q, want failed upload_mismatch with a message", got.Status, got.FailureCode, got.FailureMessage)
			}
			if !got.ExpiresAt.Equal(now.Add(testConfig.FailedTTL)) || !got.SweepAt.IsZero() {
				t.Errorf("ExpiresAt, SweepAt = %v, %v; want now+FAILED_TTL and none", got.ExpiresAt, got.SweepAt)
			}
			if s := f.stored(t, c.Track.ID); !reflect.DeepEqual(s, got) {
				t.Errorf("stored %+v\nreturned %+v", s, got)
			}
			if keys := f.blobs.Keys(""); len(keys) != 0 {
				t.Errorf("the refused file is still stored: %q", keys)
			}
		})
	}

	// An object that belongs to no upload in progress is deleted: a PUT with a still-valid URL
	// after a delete, an expiry or a failure must not leave a file behind.
	for _, tt := range []struct {
		name  string
		key   func(c *track.Created) string
		setup func(t *testing.T, f *fixture, c *track.Created)
	}{
		{"key of no item", func(*track.Created) string { return "uploads/Nope0000/0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42" }, nil},
		{"other object of the track", func(c *track.Created) string { return "uploads/" + c.Track.ID + "/another-upload" }, nil},
		{"original of a deleted track", func(c *track.Created) string { return c.Track.OriginalKey }, func(t *testing.T, f *fixture, c *track.Created) {
			if _, err := f.svc.Delete(ctx, c.Track.ID, c.DeleteToken); err != nil {
				t.Fatal(err)
			}
		}},
		{"original of a failed track", func(c *track.Created) string { return c.Track.OriginalKey }, func(t *testing.T, f *fixture, c *track.Created) {
			f.setStatus(t, c, track.StatusFailed, start.Add(time.Hour))
		}},
	} {
		t.Run("stray: "+tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			if tt.setup != nil {
				tt.setup(t, f, c)
			}
			key := tt.key(c)
			f.blobs.Add(key, announced)
			before, _ := f.store.Get(ctx, c.Track.ID)
			got, err := f.svc.Arrive(ctx, key)
			if got != nil || !errors.Is(err, track.ErrStray) {
				t.Errorf("Arrive(%q) = %+v, %v; want ErrStray", key, got, err)
			}
			if keys := f.blobs.Keys(""); len(keys) != 0 {
				t.Errorf("stray object not deleted: %q", keys)
			}
			if after, _ := f.store.Get(ctx, c.Track.ID); !reflect.DeepEqual(after, before) {
				t.Errorf("item changed from %+v to %+v", before, after)
			}
		})
	}

	for _, tt := range []struct {
		name string
		key  func(c *track.Created) string
	}{
		{"derived object", func(c *track.Created) string { return "derived/" + c.Track.ID + "/preview.ogg" }},
		{"outside the prefixes", func(c *track.Created) string { return "elsewhere/" + c.Track.ID + "/x" }},
		{"original key without prefix", func(c *track.Created) string { return strings.TrimPrefix(c.Track.OriginalKey, "uploads/") }},
		{"prefix only", func(c *track.Created) string { return "uploads/" + c.Track.ID }},
		{"prefix with slash", func(c *track.Created) string { return "uploads/" + c.Track.ID + "/" }},
		{"malformed ID", func(*track.Created) string { return "uploads/../x" }},
		{"empty", func(*track.Created) string { return "" }},
	} {
		t.Run("not ours: "+tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			key := tt.key(c)
			f.blobs.Add(key, announced)
			got, err := f.svc.Arrive(ctx, key)
			if got != nil || !errors.Is(err, track.ErrNoWork) {
				t.Errorf("Arrive(%q) = %+v, %v; want ErrNoWork", key, got, err)
			}
			if keys := f.blobs.Keys(""); len(keys) != 1 {
				t.Errorf("objects = %q, want the key left alone", keys)
			}
			if s := f.stored(t, c.Track.ID); !reflect.DeepEqual(s, c.Track) {
				t.Errorf("item changed to %+v", s)
			}
		})
	}

	t.Run("no work: object already gone", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		got, err := f.svc.Arrive(ctx, c.Track.OriginalKey)
		if got != nil || !errors.Is(err, track.ErrNoWork) {
			t.Errorf("Arrive = %+v, %v; want ErrNoWork", got, err)
		}
		if s := f.stored(t, c.Track.ID); s.Status != track.StatusPending {
			t.Errorf("status = %s, want pending", s.Status)
		}
	})

	t.Run("no work: a ready track (a repeated PUT of the same bytes)", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		f.setStatus(t, c, track.StatusReady, start.Add(testConfig.Retention))
		f.blobs.Add(c.Track.OriginalKey, announced)
		if got, err := f.svc.Arrive(ctx, c.Track.OriginalKey); got != nil || !errors.Is(err, track.ErrNoWork) {
			t.Errorf("Arrive = %+v, %v; want ErrNoWork", got, err)
		}
		if keys := f.blobs.Keys(""); len(keys) != 1 {
			t.Errorf("the ready track's original was touched: %q", keys)
		}
	})
}

func TestBeginTakesOneLeaseAtATime(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, tr := f.processing(t)
	now := f.clock.Now()
	run, err := f.svc.Begin(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	if run.Attempts != 1 || !run.LeaseUntil.After(now.Add(testConfig.ProcessTimeout)) {
		t.Errorf("lease = attempt %d until %v, want attempt 1 past now+PROCESS_TIMEOUT", run.Attempts, run.LeaseUntil)
	}
	if got := run.RunDeadline(); got.After(now.Add(testConfig.ProcessTimeout)) {
		t.Errorf("RunDeadline = %v, past now+PROCESS_TIMEOUT", got)
	}
	if s := f.stored(t, tr.ID); !reflect.DeepEqual(s, run) {
		t.Errorf("stored %+v\nreturned %+v", s, run)
	}
	// A second event for the same upload (a re-PUT, a duplicate) while the run is alive: no
	// second transcode.
	again, err := f.svc.Arrive(ctx, tr.OriginalKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Begin(ctx, again); !errors.Is(err, track.ErrBusy) {
		t.Fatalf("Begin during a live run = %v, want ErrBusy", err)
	}
	// Two runs that read the item at the same time: one wins.
	if _, err := f.svc.Begin(ctx, tr); !errors.Is(err, track.ErrBusy) {
		t.Fatalf("Begin of a stale read = %v, want ErrBusy", err)
	}
	// The run gives its lease back after a transient error: the retry starts at once.
	if err := f.svc.Release(ctx, run); err != nil {
		t.Fatal(err)
	}
	retry, err := f.svc.Begin(ctx, f.stored(t, tr.ID))
	if err != nil || retry.Attempts != 2 {
		t.Fatalf("Begin after Release = %+v, %v; want attempt 2", retry, err)
	}
	// The run dies without a word: its lease lapses and the next one takes it.
	f.clock.Advance(testConfig.ProcessTimeout + time.Minute)
	third, err := f.svc.Begin(ctx, f.stored(t, tr.ID))
	if err != nil || third.Attempts != 3 {
		t.Fatalf("Begin after the lease lapsed = %+v, %v; want attempt 3", third, err)
	}
	done, err := f.svc.Finish(ctx, third, track.Processing{Duration: 12})
	if err != nil || done.Status != track.StatusReady || !done.LeaseUntil.IsZero() || !done.SweepAt.IsZero() {
		t.Fatalf("Finish = %+v, %v; want ready without lease or sweep time", done, err)
	}
	// A zombie of an earlier attempt finishing late records nothing.
	if _, err := f.svc.Finish(ctx, retry, track.Processing{Duration: 99}); !errors.Is(err, track.ErrConflict) {
		t.Fatalf("late Finish = %v, want ErrConflict", err)
	}
	if s := f.stored(t, tr.ID); s.Duration != 12 {
		t.Errorf("duration = %v, want the first result", s.Duration)
	}
}

func TestBeginGivesUp(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		setup func(f *fixture, tr *track.Track) *track.Track
	}{
		{"runs used up", func(f *fixture, tr *track.Track) *track.Track {
			for range track.MaxAttempts {
				run, err := f.svc.Begin(ctx, tr)
				if err != nil {
					panic(err)
				}
				f.clock.Advance(testConfig.ProcessTimeout + time.Minute)
				tr = run
			}
			return tr
		}},
		{"deadline passed", func(f *fixture, tr *track.Track) *track.Track {
			f.clock.Advance(track.MaxAttempts * testConfig.ProcessTimeout)
			return tr
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, tr := f.processing(t)
			tr = tt.setup(f, tr)
			if _, err := f.svc.Begin(ctx, tr); !errors.Is(err, track.ErrGaveUp) {
				t.Fatalf("Begin = %v, want ErrGaveUp", err)
			}
			s := f.stored(t, tr.ID)
			if s.Status != track.StatusFailed || s.FailureCode != track.EProcessingFailed || s.FailureMessage == "" {
				t.Errorf("stored %s %q %q, want failed processing_failed with a message", s.Status, s.FailureCode, s.FailureMessage)
			}
			if keys := f.blobs.Keys(""); len(keys) != 0 {
				t.Errorf("objects of the failed track remain: %q", keys)
			}
		})
	}
}

func TestFailDeletesEveryObject(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, tr := f.processing(t)
	run, err := f.svc.Begin(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	f.blobs.Add(track.SegmentKey(tr.ID, "seg00000.ts"), track.ObjectInfo{Size: 1})
	failed, err := f.svc.Fail(ctx, run, track.ENotAudio, "not audio")
	if err != nil || failed.Status != track.StatusFailed || failed.FailureCode != track.ENotAudio {
		t.Fatalf("Fail = %+v, %v", failed, err)
	}
	if keys := f.blobs.Keys(""); len(keys) != 0 {
		t.Errorf("objects remain after the failure: %q", keys)
	}
	// The uploader's URL is still valid: a second PUT of the same bytes is deleted on arrival.
	f.blobs.Add(tr.OriginalKey, announced)
	if _, err := f.svc.Arrive(ctx, tr.OriginalKey); !errors.Is(err, track.ErrStray) {
		t.Fatalf("Arrive after the failure = %v, want ErrStray", err)
	}
	if keys := f.blobs.Keys(""); len(keys) != 0 {
		t.Errorf("a re-uploaded original of a failed track stays: %q", keys)
	}
}

// redrives records what a Sweep hands back to processing.
type redrives []string

func (r *redrives) redrive(_ context.Context, key string) error {
	*r = append(*r, key)
	return nil
}

func TestSweep(t *testing.T) {
	ctx := context.Background()

	t.Run("a pending upload whose event was lost", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		other := f.create(t, nil) // never uploaded
		f.blobs.Add(c.Track.OriginalKey, announced)
		var got redrives
		// Too early: its event may still come.
		if rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); err != nil || rep.Redriven != 0 || len(got) != 0 {
			t.Fatalf("early Sweep = %+v, %v, redrove %q; want nothing", rep, err, got)
		}
		f.clock.Advance(3 * time.Minute)
		rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive})
		if err != nil || rep.Redriven != 1 || !reflect.DeepEqual([]string(got), []string{c.Track.OriginalKey}) {
			t.Fatalf("Sweep = %+v, %v, redrove %q; want only %s", rep, err, got, c.Track.OriginalKey)
		}
		if s := f.stored(t, other.Track.ID); s.Status != track.StatusPending {
			t.Errorf("the upload in progress changed: %+v", s)
		}
	})

	t.Run("a processing run that died", func(t *testing.T) {
		f := newFixture(t)
		_, tr := f.processing(t)
		run, err := f.svc.Begin(ctx, tr)
		if err != nil {
			t.Fatal(err)
		}
		var got redrives
		if rep, _ := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); rep.Redriven != 0 {
			t.Fatalf("Sweep redrove a track a live run holds: %q", got)
		}
		f.clock.Advance(run.LeaseUntil.Sub(f.clock.Now()) + time.Second)
		if rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); err != nil || rep.Redriven != 1 || got[0] != tr.OriginalKey {
			t.Fatalf("Sweep after the lease lapsed = %+v, %v, %q; want the original redriven", rep, err, got)
		}
	})

	t.Run("a processing track no run ever took", func(t *testing.T) {
		f := newFixture(t)
		_, tr := f.processing(t)
		f.clock.Advance(3 * time.Minute)
		var got redrives
		if rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); err != nil || rep.Redriven != 1 || got[0] != tr.OriginalKey {
			t.Fatalf("Sweep = %+v, %v, %q; want the original redriven", rep, err, got)
		}
	})

	t.Run("breaking leases: the local runner at start", func(t *testing.T) {
		f := newFixture(t)
		_, tr := f.processing(t)
		if _, err := f.svc.Begin(ctx, tr); err != nil {
			t.Fatal(err)
		}
		var got redrives
		rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive, BreakLeases: true})
		if err != nil || rep.Redriven != 1 {
			t.Fatalf("Sweep = %+v, %v; want the held track redriven", rep, err)
		}
		if _, err := f.svc.Begin(ctx, f.stored(t, tr.ID)); err != nil {
			t.Fatalf("Begin after the lease was broken = %v", err)
		}
	})

	t.Run("overdue processing fails", func(t *testing.T) {
		f := newFixture(t)
		_, tr := f.processing(t)
		for range track.MaxAttempts {
			if _, err := f.svc.Begin(ctx, f.stored(t, tr.ID)); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(testConfig.ProcessTimeout + time.Minute)
		}
		var got redrives
		rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive})
		if err != nil || rep.Failed != 1 || len(got) != 0 {
			t.Fatalf("Sweep = %+v, %v, %q; want one failed, none redriven", rep, err, got)
		}
		if s := f.stored(t, tr.ID); s.Status != track.StatusFailed || s.FailureCode != track.EProcessingFailed {
			t.Errorf("stored %s %q, want failed processing_failed", s.Status, s.FailureCode)
		}
		// Again: nothing left to do.
		if rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); err != nil || rep != (track.SweepReport{}) {
			t.Errorf("second Sweep = %+v, %v; want nothing", rep, err)
		}
	})

	t.Run("ready and failed tracks are never swept", func(t *testing.T) {
		f := newFixture(t)
		a, b := f.create(t, nil), f.create(t, nil)
		f.setStatus(t, a, track.StatusReady, start.Add(testConfig.Retention))
		f.setStatus(t, b, track.StatusFailed, start.Add(time.Hour))
		f.clock.Advance(time.Hour)
		var got redrives
		rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive, BreakLeases: true})
		if err != nil || rep != (track.SweepReport{}) {
			t.Errorf("Sweep = %+v, %v; want nothing", rep, err)
		}
	})

	t.Run("a failing redrive is reported and retried next time", func(t *testing.T) {
		f := newFixture(t)
		_, tr := f.processing(t)
		f.clock.Advance(3 * time.Minute)
		boom := errors.New("invoke throttled")
		_, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: func(context.Context, string) error { return boom }})
		if !errors.Is(err, boom) {
			t.Fatalf("Sweep = %v, want the redrive error", err)
		}
		var got redrives
		if rep, err := f.svc.Sweep(ctx, track.SweepOptions{Redrive: got.redrive}); err != nil || rep.Redriven != 1 || got[0] != tr.OriginalKey {
			t.Fatalf("next Sweep = %+v, %v, %q", rep, err, got)
		}
	})
}

func TestUploadWindowGrowsWithSize(t *testing.T) {
	cfg := testConfig
	cfg.UploadMinSpeed = 125_000 // 1 Mbit/s
	for _, tt := range []struct {
		size             int64
		wantURL, wantPnd time.Duration
	}{
		{1, 10 * time.Minute, 10 * time.Minute},
		// 75 MB take 10 minutes at 1 Mbit/s: the URL lives 20 minutes, and a transfer that
		// starts when it is about to expire still has its 10 minutes.
		{75_000_000, 20 * time.Minute, 30 * time.Minute},
		// 2 GiB take 4 h 46 min at that rate.
		{2 << 30, 10*time.Minute + 17180*time.Second, 10*time.Minute + 2*17180*time.Second},
		// 5 GiB: the URL's life is capped.
		{5 << 30, 12 * time.Hour, 10*time.Minute + 2*42950*time.Second},
	} {
		url, pending := cfg.UploadWindow(tt.size)
		if url != tt.wantURL || pending != tt.wantPnd {
			t.Errorf("UploadWindow(%d) = %v, %v; want %v, %v", tt.size, url, pending, tt.wantURL, tt.wantPnd)
		}
		if pending < url {
			t.Errorf("UploadWindow(%d): the track stops pending before its URL dies", tt.size)
		}
	}
	// Create signs and records that window.
	f := newFixture(t)
	f.svc.Config = cfg
	c := f.create(t, func(r *track.UploadRequest) { r.Size = 75_000_000 })
	if !c.Upload.ExpiresAt.Equal(start.Add(20*time.Minute)) || !c.Track.ExpiresAt.Equal(start.Add(30*time.Minute)) {
		t.Errorf("URL until %v, pending until %v; want 20 and 30 minutes from now", c.Upload.ExpiresAt, c.Track.ExpiresAt)
	}
}

// TestPlaylistOfAFailedTrack: a failed track's playlist is 409 failed (it never will be ready),
// a processing one's 409 not_ready.
func TestPlaylistOfAFailedTrack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.processing(t)
	_, _, err := f.svc.Playlist(ctx, c.Track.ID)
	wantCode(t, err, track.ENotReady)
	run, err := f.svc.Begin(ctx, f.stored(t, c.Track.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Fail(ctx, run, track.ENotAudio, "not audio"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Playlist(ctx, c.Track.ID)
	wantCode(t, err, track.ETrackFailed)
}
