package track

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The life of an upload after its PUT: Arrive (pending → processing, once the object is verified),
// Begin (a run takes the track's lease), then Finish (→ ready) or Fail (→ failed). S3 events
// arrive at least once, late and out of order, and a run can die at any moment (a crash, a
// kill -9, an out-of-memory ffmpeg), so every step is a conditional write on the item as it was
// read, and the Sweep re-drives what an event or a run left behind.

const (
	// MaxAttempts is how many processing runs a track gets before it fails.
	MaxAttempts = 3
	// pendingSweepDelay is how long after its creation the sweeper first looks for a pending
	// track's object: its event normally arrives within seconds.
	pendingSweepDelay = 2 * time.Minute
	// redriveDelay is how long a processing track that no run holds waits before the sweeper
	// re-drives it: the event handler died between verifying the upload and taking the lease,
	// or a run gave its lease back after a transient error and no retry came.
	redriveDelay = 2 * time.Minute
	// leaseMargin is how long a lease outlives its run's deadline, for clocks that disagree.
	leaseMargin = 30 * time.Second
)

var errFailed = Errorf(ETrackFailed, "this upload could not be processed")

// ErrGaveUp is returned by Begin for a track whose runs are used up or whose processing deadline
// has passed: Begin has failed it with EProcessingFailed.
var ErrGaveUp = errors.New("track: processing gave up")

// Processing is the result of processing an upload, ready to be recorded.
type Processing struct {
	Duration  float64
	Audio     Audio
	Tags      Tags
	CoverType string // "" when the file had no usable picture
	CoverExt  string
	Theme     *Theme // from the cover; nil when it could not be read
	// CoverWidth and CoverHeight: the cover's size, 0 when it could not be read.
	CoverWidth, CoverHeight int
	// Card: the link-preview picture was stored at CardKey.
	Card bool
	// Announced: the track's announcement to the fediverse was queued.
	Announced bool
	// Seconds is how long the run took; DerivedBytes what it stored (see Track).
	Seconds      float64
	DerivedBytes int64
}

// ProcessingDeadline is when t's processing must be over: three runs' time after the upload.
func (s *Service) ProcessingDeadline(t *Track) time.Time {
	return t.UploadedAt.Add(MaxAttempts * s.Config.ProcessTimeout)
}

// RunDeadline is when the run that holds t's lease must have finished.
func (t *Track) RunDeadline() time.Time { return t.LeaseUntil.Add(-leaseMargin) }

// Arrive handles an object that landed under uploads/. For the original of a pending track it
// checks the object is what was announced (size and type) and moves the track to processing
// (now living Retention), or fails it and deletes the object when it is not. It returns the
// track in processing (verified now or before: a retry or a duplicate event), or the failed
// track of a refused upload. ErrNoWork: nothing to do (a key outside uploads/, an object already
// gone, a ready track). ErrStray: the object belongs to no upload in progress (its track is
// gone or failed, or it is not the key that was signed): Arrive has deleted it, so a PUT with a
// still-valid URL after a delete or an expiry leaves nothing behind.
func (s *Service) Arrive(ctx context.Context, key string) (*Track, error) {
	id, ok := IDFromKey(key)
	if !ok || !strings.HasPrefix(key, UploadsPrefix) {
		return nil, ErrNoWork
	}
	t, err := s.Store.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, s.dropStray(ctx, key)
	case err != nil:
		return nil, err
	}
	switch {
	case t.OriginalKey != key || t.Status == StatusFailed:
		return nil, s.dropStray(ctx, key)
	case t.Status == StatusReady:
		return nil, ErrNoWork
	case t.Status == StatusProcessing:
		return t, nil
	}
	info, err := s.Blobs.Head(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		// The event outran a delete of the object, or was replayed after cleanup.
		return nil, ErrNoWork
	case err != nil:
		return nil, fmt.Errorf("track: head %s: %w", key, err)
	}
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.UploadedAt = now
	if info.Size != t.Size || !sameType(info.ContentType, t.Type) {
		failed, err := s.fail(ctx, &next, EUploadMismatch, "the uploaded file is not the one announced (size or type differ)")
		if errors.Is(err, ErrConflict) {
			return nil, ErrNoWork
		}
		return failed, err
	}
	next.Status = StatusProcessing
	next.ExpiresAt = now.Add(s.Config.Retention)
	next.SweepAt = now.Add(redriveDelay)
	switch err := s.Store.Replace(ctx, t, &next); {
	case errors.Is(err, ErrConflict):
		// A duplicate event verified it first; that one goes on to process it.
		return nil, ErrNoWork
	case err != nil:
		return nil, fmt.Errorf("track: mark %s uploaded: %w", t.ID, err)
	}
	return &next, nil
}

// dropStray deletes an object that belongs to no upload in progress and returns ErrStray.
func (s *Service) dropStray(ctx context.Context, key string) error {
	if err := s.Blobs.Delete(ctx, key); err != nil {
		return fmt.Errorf("track: delete stray %s: %w", key, err)
	}
	return ErrStray
}

func sameType(got, want string) bool {
	n, err := NormalizeType(got)
	return err == nil && n == want
}

// Begin takes the processing lease of t, a track Arrive returned in processing: the run that
// holds it has until t.RunDeadline() (PROCESS_TIMEOUT, never past the processing deadline) and
// no other run starts meanwhile. ErrBusy: a live run holds it. ErrNoWork: t is no longer
// processing. ErrGaveUp: its runs are used up or its deadline has passed, and Begin failed it.
func (s *Service) Begin(ctx context.Context, t *Track) (*Track, error) {
	now := s.Now().UTC()
	switch {
	case t.Status != StatusProcessing || t.Expired(now):
		return nil, ErrNoWork
	case t.LeaseUntil.After(now):
		return nil, ErrBusy
	}
	deadline := s.ProcessingDeadline(t)
	if t.Attempts >= MaxAttempts || !now.Before(deadline) {
		if _, err := s.giveUp(ctx, t); err != nil && !errors.Is(err, ErrConflict) {
			return nil, err
		}
		return nil, ErrGaveUp
	}
	next := *t
	next.Attempts++
	end := now.Add(s.Config.ProcessTimeout)
	if end.After(deadline) {
		end = deadline
	}
	next.LeaseUntil = end.Add(leaseMargin).Truncate(time.Second)
	next.SweepAt = next.LeaseUntil
	switch err := s.Store.Replace(ctx, t, &next); {
	case errors.Is(err, ErrConflict):
		// Another run took the lease since t was read (or the track moved on).
		return nil, ErrBusy
	case err != nil:
		return nil, fmt.Errorf("track: lease %s: %w", t.ID, err)
	}
	return &next, nil
}

// Release gives back the lease of a run that failed for a reason a retry may fix, so that the
// retry runs at once instead of waiting for the lease to lapse. If no retry comes, the sweeper
// re-drives the track. A track that moved on meanwhile is left as it is.
func (s *Service) Release(ctx context.Context, t *Track) error {
	next := *t
	next.LeaseUntil = time.Time{}
	next.SweepAt = s.Now().UTC().Add(redriveDelay).Truncate(time.Second)
	if err := s.Store.Replace(ctx, t, &next); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("track: release %s: %w", t.ID, err)
	}
	return nil
}

// MarkPlayable records that the first segments of t, a track processing under this run's lease,
// and the EVENT playlist naming them are stored: from now on the track is streamed while it
// processes. It is idempotent (a track already marked is returned as it is) and conditional like
// every transition. ErrConflict: the track is no longer as this run read it (deleted, expired,
// or failed by the sweeper), and nothing was written.
func (s *Service) MarkPlayable(ctx context.Context, t *Track) (*Track, error) {
	if t.Status != StatusProcessing {
		return nil, ErrConflict
	}
	if t.PlaylistKey != "" {
		return t, nil
	}
	next := *t
	next.PlaylistKey = PlaylistKey(t.ID)
	if err := s.Store.Replace(ctx, t, &next); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ErrConflict
		}
		return nil, fmt.Errorf("track: mark %s playable: %w", t.ID, err)
	}
	return &next, nil
}

// Finish records p on t and moves it processing → ready. ErrConflict: the track is no longer as
// this run read it (deleted, expired, or failed by the sweeper), and nothing was written.
func (s *Service) Finish(ctx context.Context, t *Track, p Processing) (*Track, error) {
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.Status = StatusReady
	next.ExpiresAt = now.Add(s.Config.Retention)
	next.LeaseUntil, next.SweepAt = time.Time{}, time.Time{}
	next.Duration = p.Duration
	next.ProcessSeconds, next.DerivedBytes = p.Seconds, p.DerivedBytes
	audio, tags := p.Audio, p.Tags
	next.Audio, next.Tags = &audio, &tags
	if tags == (Tags{}) {
		next.Tags = nil
	}
	next.PreviewKey, next.PlaylistKey, next.WaveformKey = PreviewKey(t.ID), PlaylistKey(t.ID), WaveformKey(t.ID)
	next.Announced = p.Announced
	next.CoverKey, next.CoverType, next.Theme = "", "", nil
	if p.CoverType != "" {
		next.CoverKey, next.CoverType, next.Theme = CoverKey(t.ID, p.CoverExt), p.CoverType, p.Theme
		next.CoverWidth, next.CoverHeight = p.CoverWidth, p.CoverHeight
	}
	next.CardKey = ""
	if p.Card {
		next.CardKey = CardKey(t.ID)
	}
	if err := s.Store.Replace(ctx, t, &next); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ErrConflict
		}
		return nil, fmt.Errorf("track: finish %s: %w", t.ID, err)
	}
	return &next, nil
}

// Fail moves t processing → failed with a reason its uploader can act on, kept for FailedTTL,
// and deletes every object of the track: a file that failed is never served. ErrConflict: the
// track is no longer as this run read it, and nothing was written or deleted.
func (s *Service) Fail(ctx context.Context, t *Track, code, message string) (*Track, error) {
	return s.fail(ctx, t, code, message)
}

// fail moves t, as read, to failed (from pending: an upload refused on arrival).
func (s *Service) fail(ctx context.Context, t *Track, code, message string) (*Track, error) {
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.Status = StatusFailed
	next.FailureCode, next.FailureMessage = code, message
	next.ExpiresAt = now.Add(s.Config.FailedTTL)
	next.LeaseUntil, next.SweepAt = time.Time{}, time.Time{}
	if err := s.Store.Replace(ctx, t, &next); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ErrConflict
		}
		return nil, fmt.Errorf("track: fail %s: %w", t.ID, err)
	}
	// Recorded first, then deleted: if the delete fails, the event's retry finds a failed track
	// and deletes its original as a stray, and the expiry removes the rest.
	if _, err := Purge(ctx, s.Blobs, t.ID); err != nil {
		return &next, fmt.Errorf("track: delete the objects of failed %s: %w", t.ID, err)
	}
	return &next, nil
}

// giveUp fails a track whose processing will not finish.
func (s *Service) giveUp(ctx context.Context, t *Track) (*Track, error) {
	return s.Fail(ctx, t, EProcessingFailed,
		"Processing this file did not finish: it was tried several times and stopped each time. Upload it again; if it fails again, export it in a common format first.")
}

// SweepOptions configure a Sweep.
type SweepOptions struct {
	// Redrive hands the original at key to processing again, as its S3 event would.
	Redrive func(ctx context.Context, key string) error
	// BreakLeases treats every lease as lapsed. Only a process that knows no run is alive may
	// set it: the local runner at start, which is the only processor of its data.
	BreakLeases bool
}

// SweepReport is what a Sweep did.
type SweepReport struct {
	Redriven int `json:"redriven"` // originals handed to processing again
	Failed   int `json:"failed"`   // tracks failed with processing_failed
}

// Sweep is the backstop that makes an accepted upload always processed: it re-drives pending
// tracks whose original is stored (their event was lost) and processing tracks that no live
// run holds (their run died), and fails those whose runs are used up or whose deadline passed.
// It runs on a schedule in AWS and at start and on an interval under the local runner; running
// it twice at once, or next to the events it backs up, only repeats idempotent steps.
func (s *Service) Sweep(ctx context.Context, opt SweepOptions) (SweepReport, error) {
	var rep SweepReport
	now := s.Now().UTC()
	until := now
	if opt.BreakLeases {
		until = now.Add(100 * 365 * 24 * time.Hour)
	}
	var errs []error
	pending, err := s.Store.Due(ctx, StatusPending, until)
	if err != nil {
		return rep, err
	}
	for _, id := range pending {
		t, err := s.Store.Get(ctx, id)
		if err != nil || t.Status != StatusPending {
			continue // gone or moved on since the query
		}
		if _, err := s.Blobs.Head(ctx, t.OriginalKey); err != nil {
			if !errors.Is(err, ErrNotFound) {
				errs = append(errs, fmt.Errorf("track: sweep %s: %w", id, err))
			}
			continue // not uploaded (yet): the pending time decides
		}
		if err := opt.Redrive(ctx, t.OriginalKey); err != nil {
			errs = append(errs, fmt.Errorf("track: redrive %s: %w", id, err))
			continue
		}
		rep.Redriven++
	}
	processing, err := s.Store.Due(ctx, StatusProcessing, until)
	if err != nil {
		return rep, errors.Join(append(errs, err)...)
	}
	for _, id := range processing {
		t, err := s.Store.Get(ctx, id)
		if err != nil || t.Status != StatusProcessing {
			continue
		}
		if t.LeaseUntil.After(now) {
			if !opt.BreakLeases {
				continue // a live run holds it
			}
			if err := s.Release(ctx, t); err != nil {
				errs = append(errs, err)
				continue
			}
			if t, err = s.Store.Get(ctx, id); err != nil {
				continue
			}
		}
		if t.Attempts >= MaxAttempts || !now.Before(s.ProcessingDeadline(t)) {
			switch _, err := s.giveUp(ctx, t); {
			case err == nil:
				rep.Failed++
			case !errors.Is(err, ErrConflict):
				errs = append(errs, err)
			}
			continue
		}
		if err := opt.Redrive(ctx, t.OriginalKey); err != nil {
			errs = append(errs, fmt.Errorf("track: redrive %s: %w", id, err))
			continue
		}
		rep.Redriven++
	}
	return rep, errors.Join(errs...)
}
