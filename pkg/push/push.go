// Package push shares a music library with a Soundtime server: `soundtime push` walks folders,
// keeps the audio files (recognised by content), uploads a few at a time (in parts above the
// server's multipart threshold), and remembers what it shared in a manifest, so that a re-run
// uploads only what is new and finishes what an interruption cut short. `soundtime rm` deletes a
// shared track or set with the token the manifest kept.
package push

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/apiclient"
	"github.com/soundtime/soundtime/pkg/track"
)

// Options is one push.
type Options struct {
	Client     *apiclient.Client
	Manifest   *Manifest
	Paths      []string
	Public     bool   // announce the tracks to the fediverse
	StreamOnly bool   // no download of the originals
	SetTitle   string // with a title: put the tracks in a set of that title
	Jobs       int    // files uploaded at once; 0 means 4
	// PartsInFlight is how many parts of one multipart file go at once; 0 means 4.
	PartsInFlight int
	// Retries bounds the tries of one request that fails for a temporary reason (a lost
	// connection, a server error, rate limiting), with a backoff from RetryBase doubling up to
	// RetryMax; 0 means 10 tries from 500 ms up to 30 s (about two and a half minutes in all).
	Retries   int
	RetryBase time.Duration
	RetryMax  time.Duration
	// Stdout gets a line with the link of every audio file (and of the set); Stderr the files
	// skipped or failed and why, progress, and the summary.
	Stdout, Stderr io.Writer
	// Bars draws progress bars on Stderr (a terminal); LinksToTerminal says Stdout is that
	// terminal too.
	Bars, LinksToTerminal bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AfterPart, when set, is called after each part of a multipart upload is stored (tests
	// interrupt a push there).
	AfterPart func(f File, number int)
}

// Report is what a push did.
type Report struct {
	Uploaded    int // files uploaded (or finished) by this run
	Already     int // files shared before, still there
	Skipped     int // files that are not audio, and the like
	Failed      int // files that could not be shared (and unreadable files)
	Interrupted bool
	Links       map[string]string // path → share link, for every audio file shared
	SetURL      string
}

// ExitCode is the status a CLI exits with after the push: 0 when every audio file is shared,
// 1 when any failed, 130 when interrupted (as a shell reports Ctrl-C).
func (r Report) ExitCode() int {
	switch {
	case r.Interrupted:
		return 130
	case r.Failed > 0:
		return 1
	}
	return 0
}

// pusher is one push under way.
type pusher struct {
	Options
	api   string // the manifest's key for the server
	state *State // the manifest as it was when the push began
	show  display

	mu     sync.Mutex
	flight map[string]*flight // content MD5 → the one upload of that content in this run
}

// flight is the sharing of one content, which files with the same bytes wait for.
type flight struct {
	done  chan struct{}
	entry *Entry
	err   error
}

// job is one audio file being shared, with its meter once its upload began.
type job struct {
	File
	m meter
}

// meter is the meter of j's upload, begun at done bytes already stored.
func (p *pusher) meter(j *job, done int64) meter {
	if j.m == nil {
		j.m = p.show.begin(j.File, done)
	}
	return j.m
}

// fileResult is how one audio file ended.
type fileResult struct {
	entry *Entry
	state int // one of the constants below
	err   error
}

const (
	resUploaded = iota
	resAlready
	resFailed
	resInterrupted
)

// errInterrupted marks work cut short by the context.
var errInterrupted = errors.New("interrupted")

// Run pushes the audio under opt.Paths. The error is for a push that could not start (no
// manifest, a PATH that does not exist, a server that does not answer); how each file fared is
// in the report, and in what was printed.
func Run(ctx context.Context, opt Options) (Report, error) {
	if opt.Jobs <= 0 {
		opt.Jobs = 4
	}
	if opt.PartsInFlight <= 0 {
		opt.PartsInFlight = 4
	}
	if opt.Retries <= 0 {
		opt.Retries = 10
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = 500 * time.Millisecond
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	p := &pusher{Options: opt, api: opt.Client.Base, flight: map[string]*flight{}}
	rep := Report{Links: map[string]string{}}

	state, err := opt.Manifest.Load()
	if err != nil {
		return rep, err
	}
	p.state = state
	cfg, err := p.config(ctx)
	if err != nil {
		return rep, err
	}
	manifestAbs, _ := filepath.Abs(opt.Manifest.Path)
	files, skipped, err := Walk(opt.Paths, WalkOptions{
		MaxSize: cfg.MaxUploadBytes, Workers: opt.Jobs,
		Ignore: func(abs string) bool { return isManifestFile(manifestAbs, abs) },
	})
	if err != nil {
		return rep, err
	}

	var total int64
	for _, f := range files {
		total += f.Size
	}
	if opt.Bars {
		p.show = newBars(opt.Stdout, opt.Stderr, opt.LinksToTerminal, len(files), total)
	} else {
		p.show = &lines{out: opt.Stdout, err: opt.Stderr}
	}
	for _, s := range skipped {
		if s.Failed {
			rep.Failed++
			p.show.message("failed %s: %s", s.Path, s.Reason)
		} else {
			rep.Skipped++
			p.show.message("skipped %s: %s", s.Path, s.Reason)
		}
	}

	results := make([]fileResult, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for range opt.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = p.share(ctx, files[i])
			}
		}()
	}
feed:
	for i := range files {
		select {
		case work <- i:
		case <-ctx.Done():
			for j := i; j < len(files); j++ {
				results[j] = fileResult{state: resInterrupted}
			}
			break feed
		}
	}
	close(work)
	wg.Wait()

	var setTracks []apiclient.SetTrack
	inSet := map[string]bool{}
	left := 0
	for i, r := range results {
		switch r.state {
		case resUploaded:
			rep.Uploaded++
		case resAlready:
			rep.Already++
		case resFailed:
			rep.Failed++
		case resInterrupted:
			rep.Interrupted = true
			left++
		}
		if r.entry != nil && (r.state == resUploaded || r.state == resAlready) {
			rep.Links[files[i].Path] = r.entry.URL
			if !inSet[r.entry.ID] {
				inSet[r.entry.ID] = true
				setTracks = append(setTracks, apiclient.SetTrack{ID: r.entry.ID, DeleteToken: r.entry.DeleteToken})
			}
		}
	}
	if opt.SetTitle != "" && !rep.Interrupted {
		if missing := len(files) - rep.Uploaded - rep.Already; missing > 0 && len(setTracks) > 0 {
			p.show.message("the set leaves out %d file(s) that failed; run again to add them", missing)
		}
		url, err := p.shareSet(ctx, setTracks)
		switch {
		case err == nil:
			rep.SetURL = url
			p.show.link("%s  set %q (%d tracks)", url, opt.SetTitle, len(setTracks))
		case ctx.Err() != nil:
			rep.Interrupted = true
		default:
			rep.Failed++
			p.show.message("failed set %q: %v", opt.SetTitle, err)
		}
	}
	p.show.close(rep.Interrupted)
	summary := fmt.Sprintf("%d audio file(s): %d uploaded, %d already shared, %d failed; %d other file(s) skipped",
		len(files), rep.Uploaded, rep.Already, rep.Failed, rep.Skipped)
	fmt.Fprintln(opt.Stderr, summary)
	if rep.Interrupted {
		fmt.Fprintf(opt.Stderr, "interrupted with %d file(s) left: run the same command again to finish (what was sent is kept)\n", left)
	}
	return rep, nil
}

// config reads the server's limits, which also checks that the API answers before any work:
// a server that does not answer is said at once (three quick tries), not after minutes.
func (p *pusher) config(ctx context.Context) (apiclient.Config, error) {
	var cfg apiclient.Config
	err := retry(ctx, min(p.Retries, 3), p.RetryBase, p.RetryBase*2, func() error {
		var err error
		cfg, err = p.Client.Config(ctx)
		return err
	})
	if err != nil {
		return cfg, fmt.Errorf("the API at %s does not answer: %w", p.api, err)
	}
	return cfg, nil
}

// share makes sure f is shared, prints its link, and says how it went.
func (p *pusher) share(ctx context.Context, f File) fileResult {
	if ctx.Err() != nil {
		return fileResult{state: resInterrupted}
	}
	j := &job{File: f}
	res := p.shareJob(ctx, j)
	switch {
	case res.state == resInterrupted && j.m != nil:
		j.m.abandon()
	case res.state == resInterrupted:
	case j.m != nil:
		j.m.finish(res.state == resUploaded)
	default:
		p.show.settled(f.Size)
	}
	switch res.state {
	case resUploaded, resAlready:
		p.show.link("%s  %s", res.entry.URL, f.Path)
	case resFailed:
		p.show.message("failed %s: %v", f.Path, res.err)
	}
	return res
}

func (p *pusher) shareJob(ctx context.Context, j *job) fileResult {
	sum, err := hashFile(ctx, j.Path)
	if err != nil {
		if ctx.Err() != nil {
			return fileResult{state: resInterrupted}
		}
		return fileResult{state: resFailed, err: fmt.Errorf("cannot read: %w", errorOnly(err))}
	}
	key := hex.EncodeToString(sum[:])

	// Files with the same bytes share one upload.
	p.mu.Lock()
	fl, waiting := p.flight[key]
	if !waiting {
		fl = &flight{done: make(chan struct{})}
		p.flight[key] = fl
	}
	p.mu.Unlock()
	if waiting {
		<-fl.done
		switch {
		case errors.Is(fl.err, errInterrupted):
			return fileResult{state: resInterrupted}
		case fl.err != nil:
			return fileResult{state: resFailed, err: fl.err}
		}
		return fileResult{state: resAlready, entry: fl.entry}
	}
	res := p.shareContent(ctx, j, key, sum)
	fl.entry, fl.err = res.entry, res.err
	if res.state == resInterrupted {
		fl.err = errInterrupted
	}
	close(fl.done)
	return res
}

// shareContent shares the content of f, whose MD5 is sum (key in hex): it is already shared,
// or an upload of it was begun and is finished now, or it is uploaded anew.
func (p *pusher) shareContent(ctx context.Context, j *job, key string, sum [16]byte) fileResult {
	f := j.File
	srv := p.state.Servers[p.api]
	if srv != nil {
		if e := srv.Tracks[key]; e != nil {
			ok, err := p.stillShared(ctx, f, key, e)
			switch {
			case ctx.Err() != nil:
				return fileResult{state: resInterrupted}
			case err != nil:
				return fileResult{state: resFailed, err: err}
			case ok:
				if e.Public != p.Public || e.Downloadable == p.StreamOnly {
					p.show.message("note %s: shared before with other settings (%s); `soundtime rm` it first to share it again with these", f.Path, settings(e))
				}
				return fileResult{state: resAlready, entry: e}
			}
		}
		if e := srv.Uploads[key]; e != nil {
			res, resumed := p.resume(ctx, j, key, sum, e)
			if resumed {
				return res
			}
		}
	}
	return p.upload(ctx, j, key, sum)
}

// settings describes how an entry was shared.
func settings(e *Entry) string {
	s := "private"
	if e.Public {
		s = "public"
	}
	if !e.Downloadable {
		s += ", stream-only"
	}
	return s
}

// stillShared checks that a track the manifest holds is still there. A track that expired or
// was deleted is dropped from the manifest (false: share it again); one that failed processing
// is dropped too, and its failure is the error.
func (p *pusher) stillShared(ctx context.Context, f File, key string, e *Entry) (bool, error) {
	var t apiclient.Track
	err := p.retry(ctx, func() error {
		var err error
		t, err = p.Client.Track(ctx, e.ID)
		return err
	})
	switch {
	case apiclient.IsStatus(err, 404):
		p.show.message("note %s: its track %s is gone (expired or deleted): sharing it again", f.Path, e.ID)
		return false, p.forget(key, e.ID)
	case err != nil:
		return false, fmt.Errorf("cannot check track %s: %w", e.ID, err)
	case t.Status == apiclient.StatusFailed:
		if ferr := p.forget(key, e.ID); ferr != nil {
			return false, ferr
		}
		return false, failure(t)
	}
	return true, nil
}

// failure is the error of a failed track.
func failure(t apiclient.Track) error {
	if t.Error != nil {
		return fmt.Errorf("the server could not process it: %s (%s)", t.Error.Message, t.Error.Code)
	}
	return errors.New("the server could not process it")
}

// forget drops the track id (shared or begun) from the manifest.
func (p *pusher) forget(key, id string) error {
	_, err := p.Manifest.Update(func(s *State) error {
		srv := s.Server(p.api)
		if e := srv.Tracks[key]; e != nil && e.ID == id {
			delete(srv.Tracks, key)
		}
		if e := srv.Uploads[key]; e != nil && e.ID == id {
			delete(srv.Uploads, key)
		}
		return nil
	})
	return err
}

// record moves the upload of e to the shared tracks.
func (p *pusher) record(key string, e *Entry) error {
	shared := *e
	shared.Method, shared.PutURL, shared.PutHeaders, shared.PutExpiresAt = "", "", nil, time.Time{}
	shared.PartSize, shared.PartCount = 0, 0
	shared.Time = p.Now().UTC()
	_, err := p.Manifest.Update(func(s *State) error {
		srv := s.Server(p.api)
		srv.Tracks[key] = &shared
		delete(srv.Uploads, key)
		return nil
	})
	*e = shared
	return err
}

// upload shares f as a new track.
func (p *pusher) upload(ctx context.Context, j *job, key string, sum [16]byte) fileResult {
	f := j.File
	name := uploadName(f.Path)
	var c apiclient.Created
	err := p.retry(ctx, func() error {
		var err error
		c, err = p.Client.CreateTrack(ctx, apiclient.NewTrack{
			Filename: name, Type: f.Type, Size: f.Size, MD5: base64.StdEncoding.EncodeToString(sum[:]),
			Downloadable: !p.StreamOnly, Public: p.Public,
		})
		return err
	})
	if err != nil {
		return ended(ctx, err)
	}
	e := &Entry{
		ID: c.ID, URL: c.URL, DeleteToken: c.DeleteToken, Path: absPath(f.Path), Size: f.Size,
		Public: p.Public, Downloadable: !p.StreamOnly, Time: p.Now().UTC(), Method: c.Upload.Method,
	}
	switch c.Upload.Method {
	case apiclient.MethodPut:
		e.PutURL, e.PutHeaders, e.PutExpiresAt = c.Upload.URL, c.Upload.Headers, c.Upload.ExpiresAt
	case apiclient.MethodMultipart:
		e.PartSize, e.PartCount = c.Upload.PartSize, c.Upload.PartCount
	default:
		p.discard(e)
		return fileResult{state: resFailed, err: fmt.Errorf("the server offers an upload method this soundtime does not know: %q", c.Upload.Method)}
	}
	// Recorded before the first byte goes, so that a re-run finds it whenever this one stops.
	if _, err := p.Manifest.Update(func(s *State) error {
		s.Server(p.api).Uploads[key] = e
		return nil
	}); err != nil {
		p.discard(e)
		return fileResult{state: resFailed, err: err}
	}
	return p.send(ctx, j, key, sum, e, nil)
}

// send uploads the bytes of f for the begun upload e (stored: the parts storage already holds)
// and records the track as shared.
func (p *pusher) send(ctx context.Context, j *job, key string, sum [16]byte, e *Entry, stored []apiclient.StoredPart) fileResult {
	var err error
	if e.Method == apiclient.MethodMultipart {
		err = p.sendParts(ctx, j, sum, e, stored)
	} else {
		err = p.sendWhole(ctx, j, e)
	}
	if err != nil {
		return ended(ctx, err)
	}
	if err := p.record(key, e); err != nil {
		return fileResult{state: resFailed, err: err}
	}
	return fileResult{state: resUploaded, entry: e}
}

// ended is the result of a file that failed with err: interrupted when the context was
// cancelled.
func ended(ctx context.Context, err error) fileResult {
	if ctx.Err() != nil {
		return fileResult{state: resInterrupted}
	}
	return fileResult{state: resFailed, err: err}
}

// discard deletes a begun upload that will not go on, so it leaves nothing behind (it would
// expire anyway).
func (p *pusher) discard(e *Entry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Client.DeleteTrack(ctx, e.ID, e.DeleteToken)
}

// resume finishes an upload an earlier run began, when it can: resumed is false when it is
// gone or cannot go on, and f is then uploaded anew.
func (p *pusher) resume(ctx context.Context, j *job, key string, sum [16]byte, e *Entry) (res fileResult, resumed bool) {
	f := j.File
	t, err := p.trackOf(ctx, e)
	switch {
	case ctx.Err() != nil:
		return fileResult{state: resInterrupted}, true
	case apiclient.IsStatus(err, 404):
		return p.dropBegun(ctx, f, key, e, "its upload expired")
	case err != nil:
		return fileResult{state: resFailed, err: fmt.Errorf("cannot check track %s: %w", e.ID, err)}, true
	case t.Status == apiclient.StatusFailed:
		return p.dropBegun(ctx, f, key, e, "its upload failed ("+failure(t).Error()+")")
	case t.Status != apiclient.StatusPending:
		// The last run's upload landed after all; it stopped before writing that down.
		if err := p.record(key, e); err != nil {
			return fileResult{state: resFailed, err: err}, true
		}
		return fileResult{state: resUploaded, entry: e}, true
	}
	if e.Method == apiclient.MethodMultipart {
		var parts apiclient.Parts
		err := p.retry(ctx, func() error {
			var err error
			parts, err = p.Client.Parts(ctx, e.ID, e.DeleteToken)
			return err
		})
		switch {
		case ctx.Err() != nil:
			return fileResult{state: resInterrupted}, true
		case err != nil && !apiclient.Temporary(err):
			return p.dropBegun(ctx, f, key, e, "its upload cannot go on ("+err.Error()+")")
		case err != nil:
			return fileResult{state: resFailed, err: err}, true
		case parts.PartSize != e.PartSize || parts.PartCount != e.PartCount:
			return p.dropBegun(ctx, f, key, e, "its upload has another plan")
		}
		return p.send(ctx, j, key, sum, e, parts.Uploaded), true
	}
	// A single PUT goes again to its URL while that is valid (storing the same bytes twice is
	// harmless: processing runs once); past that, the upload starts over.
	if e.PutExpiresAt.Before(p.Now().Add(time.Minute)) {
		return p.dropBegun(ctx, f, key, e, "its upload URL expired")
	}
	return p.send(ctx, j, key, sum, e, nil), true
}

// trackOf reads the track of e.
func (p *pusher) trackOf(ctx context.Context, e *Entry) (apiclient.Track, error) {
	var t apiclient.Track
	err := p.retry(ctx, func() error {
		var err error
		t, err = p.Client.Track(ctx, e.ID)
		return err
	})
	return t, err
}

// dropBegun deletes a begun upload that cannot be finished and forgets it, saying why. Its
// results are resume's: done false when f is to be uploaded anew.
func (p *pusher) dropBegun(ctx context.Context, f File, key string, e *Entry, why string) (fileResult, bool) {
	p.show.message("note %s: starting over, %s", f.Path, why)
	p.discard(e)
	if err := p.forget(key, e.ID); err != nil {
		return fileResult{state: resFailed, err: err}, true
	}
	if ctx.Err() != nil {
		return fileResult{state: resInterrupted}, true
	}
	return fileResult{}, false
}

// sendWhole sends f with the single presigned PUT of e.
func (p *pusher) sendWhole(ctx context.Context, j *job, e *Entry) error {
	f, m := j.File, p.meter(j, 0)
	err := p.retry(ctx, func() error {
		fh, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		defer fh.Close()
		body := &counter{r: io.NewSectionReader(fh, 0, f.Size), m: m}
		_, err = p.Client.Put(ctx, e.PutURL, e.PutHeaders, body, f.Size)
		if err != nil {
			m.add(-body.n) // the next try starts from the first byte
		}
		return err
	})
	return err
}

// sendParts sends the parts of f that storage does not hold yet, a few at once, each hashed as
// it is read from disk and sent from disk (memory stays flat whatever the size), then completes
// the upload.
func (p *pusher) sendParts(ctx context.Context, j *job, sum [16]byte, e *Entry, stored []apiclient.StoredPart) error {
	f := j.File
	plan, err := PlanParts(f.Size, e.PartSize, e.PartCount)
	if err != nil {
		return err
	}
	etags := make([]string, len(plan))
	var done int64
	for _, s := range stored {
		if s.Number >= 1 && s.Number <= len(plan) && s.Size == plan[s.Number-1].Size && s.ETag != "" {
			etags[s.Number-1] = s.ETag
			done += s.Size
		}
	}
	m := p.meter(j, done)
	fh, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, p.PartsInFlight)
	)
	for i, part := range plan {
		if etags[i] != "" {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			etag, err := p.sendPart(ctx, fh, e, part, m)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("part %d of %d: %w", part.Number, len(plan), err)
				}
				cancel()
				return
			}
			etags[i] = etag
			if p.AfterPart != nil {
				p.AfterPart(f, part.Number)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return firstErr
	}

	parts := make([]apiclient.CompletedPart, len(plan))
	for i := range plan {
		parts[i] = apiclient.CompletedPart{Number: i + 1, ETag: etags[i]}
	}
	err = p.retry(ctx, func() error {
		_, err := p.Client.Complete(ctx, e.ID, e.DeleteToken, parts, base64.StdEncoding.EncodeToString(sum[:]))
		if apiclient.IsCode(err, "not_pending") {
			// An earlier try completed it and its answer was lost: the track says so.
			if t, terr := p.Client.Track(ctx, e.ID); terr == nil && t.Status != apiclient.StatusPending {
				return nil
			}
		}
		return err
	})
	return err
}

// sendPart hashes one part from disk, asks for its URL (bound to that MD5 and length) and sends
// it, trying again after a failure with a fresh URL.
func (p *pusher) sendPart(ctx context.Context, fh *os.File, e *Entry, part Part, m meter) (string, error) {
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(fh, part.Offset, part.Size)); err != nil {
		return "", err
	}
	sum := base64.StdEncoding.EncodeToString(h.Sum(nil))
	var etag string
	err := p.retry(ctx, func() error {
		urls, err := p.Client.PresignParts(ctx, e.ID, e.DeleteToken, []apiclient.PartSpec{{Number: part.Number, MD5: sum, Size: part.Size}})
		if err != nil {
			return err
		}
		if len(urls) != 1 || urls[0].Number != part.Number || urls[0].URL == "" {
			return fmt.Errorf("the server answered for other parts than part %d", part.Number)
		}
		body := &counter{r: io.NewSectionReader(fh, part.Offset, part.Size), m: m}
		etag, err = p.Client.Put(ctx, urls[0].URL, urls[0].Headers, body, part.Size)
		if err != nil {
			m.add(-body.n)
		}
		return err
	})
	return etag, err
}

// retry runs fn until it succeeds, fails for a reason another try will not change, or has
// been tried p.Retries times; it waits between tries, longer each time (or as long as the
// server's Retry-After asks).
func (p *pusher) retry(ctx context.Context, fn func() error) error {
	return retry(ctx, p.Retries, p.RetryBase, p.RetryMax, fn)
}

// retry runs fn at most tries times while it fails for a temporary reason, waiting from base
// (doubling, up to most) between tries. Rate limiting (429) is not a failure: waiting as long as
// the server asks does not use up a try (a big library meets the limit on starting uploads
// every minute), up to maxRateLimited answers in a row.
func retry(ctx context.Context, tries int, base, most time.Duration, fn func() error) error {
	wait := base
	limited := 0
	for try := 1; ; try++ {
		err := fn()
		if apiclient.IsStatus(err, http.StatusTooManyRequests) && limited < maxRateLimited {
			limited++
			try--
		} else {
			limited = 0
		}
		if err == nil || ctx.Err() != nil || try >= tries || !apiclient.Temporary(err) {
			return err
		}
		d := wait/2 + rand.N(wait/2+1) // jitter, so that parallel tries spread out
		var ae *apiclient.Error
		if errors.As(err, &ae) && ae.RetryAfter > 0 && limited > 0 {
			// As long as the server asks, give or take a little so the workers do not all
			// come back at once.
			d = ae.RetryAfter + rand.N(base+1)
		} else if ae != nil && ae.RetryAfter > d {
			d = ae.RetryAfter
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return err
		}
		if limited == 0 {
			wait = min(wait*2, most)
		}
	}
}

// maxRateLimited bounds the 429 answers in a row one request waits through: a few minutes at
// the API's refill rate.
const maxRateLimited = 300

// counter counts the bytes read through it onto a meter.
type counter struct {
	r io.Reader
	m meter
	n int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.m.add(int64(n))
	return n, err
}

// hashFile is the MD5 of the file at path, read in a stream.
func hashFile(ctx context.Context, path string) ([16]byte, error) {
	var sum [16]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := md5.New()
	buf := make([]byte, 1<<20)
	for {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, err
		}
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// uploadName is the file name the API is given: the base name, made valid for the contract
// (UTF-8 without controls or invisible characters, at most 255 bytes, the extension kept) so
// that an odd name on disk never stops a file from being shared.
func uploadName(path string) string {
	name := strings.ToValidUTF8(filepath.Base(path), "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if track.ValidateFilename(string(r)) != nil {
			return '_'
		}
		return r
	}, name)
	if len(name) > track.MaxFilenameBytes {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		limit := track.MaxFilenameBytes - len(ext)
		for len(stem) > limit {
			_, size := lastRune(stem)
			stem = stem[:len(stem)-size]
		}
		name = stem + ext
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			return []rune(s[i:])[0], len(s) - i
		}
	}
	return 0, 1
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// shareSet puts tracks in the set titled p.SetTitle: the one the manifest remembers when it
// still exists (untouched when it holds the same tracks, replaced otherwise), else a new one.
func (p *pusher) shareSet(ctx context.Context, tracks []apiclient.SetTrack) (string, error) {
	switch {
	case len(tracks) == 0:
		return "", errors.New("no track to put in it")
	case len(tracks) > apiclient.MaxSetTracks:
		return "", fmt.Errorf("%d tracks; a set holds at most %d", len(tracks), apiclient.MaxSetTracks)
	}
	ids := make([]string, len(tracks))
	for i, t := range tracks {
		ids[i] = t.ID
	}
	body := apiclient.NewSet{Title: p.SetTitle, Tracks: tracks}
	state, err := p.Manifest.Load() // the tracks of this run are in it now
	if err != nil {
		return "", err
	}
	if rec := state.Server(p.api).Sets[p.SetTitle]; rec != nil {
		var err error
		if slices.Equal(rec.Tracks, ids) {
			err = p.retry(ctx, func() error { _, err := p.Client.Set(ctx, rec.ID); return err })
		} else {
			err = p.retry(ctx, func() error { return p.Client.ReplaceSet(ctx, rec.ID, rec.DeleteToken, body) })
			if err == nil {
				err = p.saveSet(&SetRec{ID: rec.ID, URL: rec.URL, DeleteToken: rec.DeleteToken, Title: p.SetTitle, Tracks: ids, Time: p.Now().UTC()})
			}
		}
		if !apiclient.IsStatus(err, 404) {
			return rec.URL, err
		}
		// The set is gone (its last track went): a new one.
	}
	var c apiclient.CreatedSet
	err = p.retry(ctx, func() error {
		var err error
		c, err = p.Client.CreateSet(ctx, body)
		return err
	})
	if err != nil {
		return "", err
	}
	return c.URL, p.saveSet(&SetRec{ID: c.ID, URL: c.URL, DeleteToken: c.DeleteToken, Title: p.SetTitle, Tracks: ids, Time: p.Now().UTC()})
}

func (p *pusher) saveSet(rec *SetRec) error {
	_, err := p.Manifest.Update(func(s *State) error {
		s.Server(p.api).Sets[rec.Title] = rec
		return nil
	})
	return err
}

// sortedKeys is m's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
