package push_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/apiclient"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/push"
	"github.com/soundtime/soundtime/pkg/track"
)

const mib = 1 << 20

// library makes a folder of three small MP3s (different bytes), one WAV of about 3.4 MiB (in
// parts with the fake's 2 MiB threshold and 1 MiB parts) and a text file.
func library(t *testing.T) (dir string, small []string, big string) {
	t.Helper()
	gen := mediatest.Dir(t)
	dir = t.TempDir()
	for _, title := range []string{"one", "two", "three"} {
		p := filepath.Join(dir, "Album", title+".mp3")
		copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "mp3", Seconds: 1, Tags: track.Tags{Title: title}}), p)
		small = append(small, p)
	}
	big = filepath.Join(dir, "Album", "zz long.wav")
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "wav", Seconds: 20}), big)
	if err := os.WriteFile(filepath.Join(dir, "Album", "notes.txt"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, small, big
}

type run struct {
	rep            push.Report
	stdout, stderr string
}

func pushWith(t *testing.T, ctx context.Context, f *fakeAPI, manifest string, paths []string, edit func(*push.Options)) run {
	t.Helper()
	var out, errb bytes.Buffer
	opt := push.Options{
		Client: apiclient.New(f.srv.URL), Manifest: &push.Manifest{Path: manifest}, Paths: paths,
		Stdout: &out, Stderr: &errb, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond,
	}
	if edit != nil {
		edit(&opt)
	}
	rep, err := push.Run(ctx, opt)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, errb.String())
	}
	return run{rep, out.String(), errb.String()}
}

// linkLines is the link lines printed, sorted (files finish in any order).
func linkLines(stdout string) []string {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	slices.Sort(lines)
	return lines
}

func TestPushUploadsOnceAndPrintsTheSameLinks(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	dir, small, big := library(t)
	manifest := filepath.Join(t.TempDir(), "state", "manifest.json")

	first := pushWith(t, context.Background(), f, manifest, []string{dir}, nil)
	if first.rep.Uploaded != 4 || first.rep.Skipped != 1 || first.rep.Failed != 0 || first.rep.ExitCode() != 0 {
		t.Fatalf("first push: %+v\n%s", first.rep, first.stderr)
	}
	if !strings.Contains(first.stderr, "skipped "+filepath.Join(dir, "Album", "notes.txt")+": not audio") {
		t.Errorf("the text file is not named as skipped:\n%s", first.stderr)
	}
	// Every byte arrived where it belongs: the small files in one PUT, the large one in parts.
	for _, p := range append(slices.Clone(small), big) {
		want, _ := os.ReadFile(p)
		link := first.rep.Links[p]
		if got := f.stored(link[strings.LastIndex(link, "/")+1:]); !bytes.Equal(got, want) {
			t.Errorf("%s: storage holds %d bytes, want the file's %d", p, len(got), len(want))
		}
	}
	if f.count("PUT whole") != 3 || f.count("PUT part 4") != 1 || f.count("PUT part 5") != 0 || f.count("POST complete") != 1 {
		t.Errorf("requests: %v", f.calls)
	}

	second := pushWith(t, context.Background(), f, manifest, []string{dir}, nil)
	if second.rep.Uploaded != 0 || second.rep.Already != 4 || second.rep.ExitCode() != 0 {
		t.Fatalf("second push: %+v\n%s", second.rep, second.stderr)
	}
	if f.count("POST /api/tracks") != 4 {
		t.Errorf("the second push started uploads: %v", f.calls)
	}
	if a, b := linkLines(first.stdout), linkLines(second.stdout); !slices.Equal(a, b) || len(a) != 4 {
		t.Errorf("links differ:\n%q\n%q", a, b)
	}
}

// TestPushResumesMultipart interrupts a push after the second part of the large file is stored;
// the next push sends only the parts storage lacks and finishes the same track.
func TestPushResumesMultipart(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	_, _, big := library(t)
	manifest := filepath.Join(t.TempDir(), "manifest.json")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := pushWith(t, ctx, f, manifest, []string{big}, func(o *push.Options) {
		o.PartsInFlight = 1
		o.AfterPart = func(_ push.File, n int) {
			if n == 2 {
				cancel()
			}
		}
	})
	if !first.rep.Interrupted || first.rep.ExitCode() != 130 || len(first.rep.Links) != 0 {
		t.Fatalf("interrupted push: %+v\n%s", first.rep, first.stderr)
	}
	s, err := (&push.Manifest{Path: manifest}).Load()
	if err != nil || len(s.Servers[f.srv.URL].Uploads) != 1 {
		t.Fatalf("the begun upload is not in the manifest: %+v %v", s, err)
	}

	second := pushWith(t, context.Background(), f, manifest, []string{big}, nil)
	if second.rep.Uploaded != 1 || second.rep.ExitCode() != 0 {
		t.Fatalf("resumed push: %+v\n%s", second.rep, second.stderr)
	}
	if f.count("POST /api/tracks") != 1 {
		t.Errorf("the resumed push began another upload: %v", f.calls)
	}
	for n := 1; n <= 4; n++ {
		if c := f.count("PUT part " + string(rune('0'+n))); c != 1 {
			t.Errorf("part %d sent %d times, want once: %v", n, c, f.calls)
		}
	}
	want, _ := os.ReadFile(big)
	if got := f.stored("Tr000001"); !bytes.Equal(got, want) {
		t.Errorf("storage holds %d bytes, want the file's %d", len(got), len(want))
	}
	s, _ = (&push.Manifest{Path: manifest}).Load()
	if srv := s.Servers[f.srv.URL]; len(srv.Uploads) != 0 || len(srv.Tracks) != 1 {
		t.Errorf("manifest after the resume: %+v", srv)
	}
}

// TestPushRetries: failed part PUTs (a server error, a cut connection) and rate limiting are
// tried again, with a fresh part URL each time; a part storage refuses for good fails that file
// only.
func TestPushRetries(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	dir, _, _ := library(t)
	f.failPart = func(n, try int) int {
		switch {
		case n == 3 && try == 1:
			return 503
		case n == 3 && try == 2:
			return -1
		}
		return 0
	}
	// Rate limited more times in a row than a request is tried: waiting as asked is no failure.
	f.failCreate = func(try int) int {
		if try <= 12 {
			return 429
		}
		return 0
	}
	r := pushWith(t, context.Background(), f, filepath.Join(t.TempDir(), "m.json"), []string{dir}, nil)
	if r.rep.Uploaded != 4 || r.rep.ExitCode() != 0 {
		t.Fatalf("push: %+v\n%s", r.rep, r.stderr)
	}
	if f.count("PUT part 3") != 3 || f.count("POST /api/tracks") != 16 {
		t.Errorf("requests: %v", f.calls)
	}

	f2 := newFakeAPI(t, 2*mib, mib)
	f2.failPart = func(n, _ int) int {
		if n == 2 {
			return 403 // as storage answers a signature that does not match
		}
		return 0
	}
	r = pushWith(t, context.Background(), f2, filepath.Join(t.TempDir(), "m.json"), []string{dir}, nil)
	if r.rep.Uploaded != 3 || r.rep.Failed != 1 || r.rep.ExitCode() != 1 {
		t.Fatalf("push: %+v\n%s", r.rep, r.stderr)
	}
	if f2.count("PUT part 2") != 1 || !strings.Contains(r.stderr, "failed ") || !strings.Contains(r.stderr, "part 2 of 4") {
		t.Errorf("a refused part was retried or not reported: %v\n%s", f2.calls, r.stderr)
	}
}

// TestPushSharesDuplicatesOnce: the same bytes under two names are uploaded once and both
// files get the same link.
func TestPushSharesDuplicatesOnce(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	_, small, _ := library(t)
	dir := t.TempDir()
	copyTo(t, small[0], filepath.Join(dir, "a.mp3"))
	copyTo(t, small[0], filepath.Join(dir, "b", "copy.mp3"))
	r := pushWith(t, context.Background(), f, filepath.Join(t.TempDir(), "m.json"), []string{dir}, nil)
	if f.count("POST /api/tracks") != 1 || len(r.rep.Links) != 2 || r.rep.Links[filepath.Join(dir, "a.mp3")] != r.rep.Links[filepath.Join(dir, "b", "copy.mp3")] {
		t.Fatalf("%+v %v", r.rep, f.calls)
	}
}

// TestPushSharesAgainWhatExpired: a track of the manifest that the server no longer has is
// uploaded anew, and said so.
func TestPushSharesAgainWhatExpired(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	_, small, _ := library(t)
	manifest := filepath.Join(t.TempDir(), "m.json")
	first := pushWith(t, context.Background(), f, manifest, small[:1], nil)
	f.mu.Lock()
	delete(f.tracks, "Tr000001")
	f.mu.Unlock()
	second := pushWith(t, context.Background(), f, manifest, small[:1], nil)
	if second.rep.Uploaded != 1 || second.rep.Links[small[0]] == first.rep.Links[small[0]] || !strings.Contains(second.stderr, "is gone") {
		t.Fatalf("first %+v, second %+v\n%s", first.rep, second.rep, second.stderr)
	}
}

// TestPushSet: --set makes one set in folder order, a re-run with the same tracks leaves it be,
// and a re-run with another track replaces its tracks under the same link.
func TestPushSet(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	dir, small, big := library(t)
	manifest := filepath.Join(t.TempDir(), "m.json")
	set := func(o *push.Options) { o.SetTitle = "Album" }
	first := pushWith(t, context.Background(), f, manifest, small, set)
	if first.rep.SetURL == "" || f.count("POST set") != 1 {
		t.Fatalf("%+v %v\n%s", first.rep, f.calls, first.stderr)
	}
	f.mu.Lock()
	var ids []string
	for _, s := range f.sets {
		ids = s.tracks
	}
	f.mu.Unlock()
	var want []string
	for _, p := range small {
		l := first.rep.Links[p]
		want = append(want, l[strings.LastIndex(l, "/")+1:])
	}
	if !slices.Equal(ids, want) {
		t.Errorf("set tracks %v, want the files' order %v", ids, want)
	}
	if !strings.Contains(first.stdout, first.rep.SetURL+`  set "Album" (3 tracks)`) {
		t.Errorf("no set line:\n%s", first.stdout)
	}

	again := pushWith(t, context.Background(), f, manifest, small, set)
	if again.rep.SetURL != first.rep.SetURL || f.count("POST set") != 1 || f.count("PUT set") != 0 {
		t.Errorf("same tracks: %+v %v", again.rep, f.calls)
	}
	more := pushWith(t, context.Background(), f, manifest, []string{dir}, set)
	if more.rep.SetURL != first.rep.SetURL || f.count("POST set") != 1 || f.count("PUT set") != 1 {
		t.Errorf("another track: %+v %v", more.rep, f.calls)
	}
	_ = big
}

// TestRemove deletes by path (found by content, whatever the name now) and by ID, and forgets
// the entries; an unknown target is an error.
func TestRemove(t *testing.T) {
	f := newFakeAPI(t, 2*mib, mib)
	_, small, _ := library(t)
	manifest := &push.Manifest{Path: filepath.Join(t.TempDir(), "m.json")}
	r := pushWith(t, context.Background(), f, manifest.Path, small, func(o *push.Options) { o.SetTitle = "A" })
	c := apiclient.New(f.srv.URL)

	renamed := filepath.Join(t.TempDir(), "renamed.mp3")
	copyTo(t, small[0], renamed)
	first := idOf(r.rep.Links[small[0]])
	if msg, err := push.Remove(context.Background(), c, manifest, renamed); err != nil || !strings.HasPrefix(msg, "deleted track "+first) {
		t.Fatalf("rm by path: %q %v", msg, err)
	}
	id := idOf(r.rep.Links[small[1]])
	if msg, err := push.Remove(context.Background(), c, manifest, id); err != nil || !strings.HasPrefix(msg, "deleted track "+id) {
		t.Fatalf("rm by id: %q %v", msg, err)
	}
	if _, err := push.Remove(context.Background(), c, manifest, id); err == nil {
		t.Error("removing a forgotten ID succeeded")
	}
	if msg, err := push.Remove(context.Background(), c, manifest, idOf(r.rep.SetURL)); err != nil || !strings.HasPrefix(msg, "deleted set ") {
		t.Fatalf("rm of the set: %q %v", msg, err)
	}
	if f.count("DELETE track") != 2 || f.count("DELETE set") != 1 || f.stored(first) != nil {
		t.Errorf("requests %v", f.calls)
	}
	s, _ := manifest.Load()
	if srv := s.Servers[f.srv.URL]; len(srv.Tracks) != 1 || len(srv.Sets) != 0 {
		t.Errorf("left in the manifest: %d tracks (want 1), %d sets (want 0)", len(srv.Tracks), len(srv.Sets))
	}
}

func idOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }
