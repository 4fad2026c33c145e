package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/apiclient"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/push"
	"github.com/soundtime/soundtime/pkg/track"
)

// pushLibrary is a generated music library: twelve real audio files in nested folders (two of
// them above the test stack's multipart threshold) and three files that are not audio, one of
// them named like an MP3.
type pushLibrary struct {
	dir   string
	audio []string // in the order push walks them
	other []string
}

// pushThreshold is the test stack's MULTIPART_THRESHOLD: the two long WAVs (about 10 MiB) are
// above it, and go in two parts of the smallest part size, 8 MiB.
const pushThreshold = 4 << 20

func makePushLibrary(t *testing.T) pushLibrary {
	t.Helper()
	gen := mediatest.Dir(t)
	lib := pushLibrary{dir: t.TempDir()}
	put := func(rel string, spec mediatest.Spec) {
		p := filepath.Join(lib.dir, rel)
		b, err := os.ReadFile(mediatest.Generate(t, gen, spec))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mp3 := func(title string, secs float64) mediatest.Spec {
		return mediatest.Spec{Format: "mp3", Seconds: secs, Tags: track.Tags{Title: title, Artist: "Push Test", Album: "Library"}}
	}
	// Lexical order within each folder is the walk's order.
	for _, f := range []struct {
		rel  string
		spec mediatest.Spec
	}{
		{"Artist A/First Album/01 Opening.mp3", mp3("Opening", 3)},
		{"Artist A/First Album/02 Second.mp3", mp3("Second", 2)},
		{"Artist A/First Album/03 Third.flac", mediatest.Spec{Format: "flac", Seconds: 2}},
		{"Artist A/Second Album/01 Long Take.wav", mediatest.Spec{Format: "wav", Seconds: 60}},
		{"Artist A/Second Album/02 Short.mp3", mp3("Short", 1)},
		{"Artist B/Live/01 Intro.ogg", mediatest.Spec{Format: "ogg", Seconds: 2}},
		{"Artist B/Live/02 Encore.mp3", mp3("Encore", 2)},
		{"Artist B/Live/03 Longer Take.wav", mediatest.Spec{Format: "wav", Seconds: 61}},
		{"Artist B/Live/04 Outro.m4a", mediatest.Spec{Format: "m4a", Seconds: 2}},
		{"Singles/a.mp3", mp3("Single A", 2)},
		{"Singles/b.mp3", mp3("Single B", 2)},
		{"Singles/deep/nested/c.mp3", mp3("Single C", 2)},
	} {
		put(f.rel, f.spec)
		lib.audio = append(lib.audio, filepath.Join(lib.dir, f.rel))
	}
	cover, _ := mediatest.Cover(t, gen, "jpeg")
	b, _ := os.ReadFile(cover)
	for rel, content := range map[string][]byte{
		"Artist A/First Album/cover.jpg": b,
		"Artist A/notes.txt":             []byte("liner notes\n"),
		"Singles/fake.mp3":               []byte("this is text with an .mp3 name\n"),
	} {
		p := filepath.Join(lib.dir, rel)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		lib.other = append(lib.other, p)
	}
	return lib
}

// pushStack is a runner of its own for the push tests: their uploads are counted, and need
// larger files than the shared runner allows.
func pushStack(t *testing.T) *testStack {
	t.Helper()
	s, err := newStackWith(t.TempDir(), map[string]string{
		"MAX_UPLOAD_BYTES":    "67108864",
		"MAX_DURATION":        "10m",
		"MULTIPART_THRESHOLD": fmt.Sprint(pushThreshold),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// pushProgram is `soundtime push ARGS` or `soundtime rm ARGS` in a process of its own: this test
// binary running main().
func pushProgram(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "SOUNDTIME_TEST_RUN_MAIN=1")
	return cmd
}

// runPush runs the program to its end and returns its exit status and output.
func runPush(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := pushProgram(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// links parses push's link lines ("URL  PATH") into path → URL, and the set's line
// ("URL  set "TITLE" (N tracks)").
func links(t *testing.T, stdout string) (files map[string]string, set string) {
	t.Helper()
	files = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		url, path, ok := strings.Cut(line, "  ")
		switch {
		case !ok:
			t.Fatalf("not a link line: %q", line)
		case strings.HasPrefix(path, `set "`):
			set = url
		default:
			files[path] = url
		}
	}
	return files, set
}

func idOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// TestPushLibrary is the flow end to end against the real local stack: a push killed
// part way, a second push that finishes the library, a third that uploads nothing and prints
// the same links, and rm.
func TestPushLibrary(t *testing.T) {
	s := pushStack(t)
	lib := makePushLibrary(t)
	manifest := filepath.Join(t.TempDir(), "state", "manifest.json")
	args := []string{"push", "--api", s.URL, "--manifest", manifest, "-j", "1", "--set", "The Library", lib.dir}

	// The first push is killed (as a lost terminal or kill -9 would) once three files are shared.
	cmd := pushProgram(args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var early []string
	for len(early) < 3 && sc.Scan() {
		early = append(early, sc.Text())
	}
	cmd.Process.Kill()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the first push ended before it was killed (%v), after %q", err, early)
	}

	// The second push finishes the library.
	code, out, errOut := runPush(t, args...)
	if code != 0 {
		t.Fatalf("second push: exit %d\n%s\n%s", code, out, errOut)
	}
	second, setURL := links(t, out)
	if len(second) != len(lib.audio) {
		t.Fatalf("second push printed %d links, want %d:\n%s", len(second), len(lib.audio), out)
	}
	for _, line := range early {
		url, path, _ := strings.Cut(line, "  ")
		if second[path] != url {
			t.Errorf("%s: link %s before the kill, %s after", path, url, second[path])
		}
	}
	for _, p := range lib.other {
		if !strings.Contains(errOut, "skipped "+p+": not audio") {
			t.Errorf("%s is not named as skipped:\n%s", p, errOut)
		}
	}
	if !strings.Contains(errOut, "12 audio file(s): ") || !strings.Contains(errOut, "0 failed; 3 other file(s) skipped") {
		t.Errorf("summary:\n%s", errOut)
	}
	// Every file is a track that becomes ready, and there is no other: nothing was uploaded
	// twice.
	c := s.client(t)
	for _, p := range lib.audio {
		if second[p] == "" {
			t.Fatalf("no link for %s", p)
		}
		m := c.waitStatusWithin(idOf(second[p]), "ready", 60*time.Second)
		if m["filename"] != filepath.Base(p) {
			t.Errorf("%s: filename %v", p, m["filename"])
		}
	}
	if n := s.countTracks(t, "ready"); n != len(lib.audio) {
		t.Errorf("%d ready tracks, want %d", n, len(lib.audio))
	}
	// The set holds every track in the walk's order.
	var want []string
	for _, p := range lib.audio {
		want = append(want, idOf(second[p]))
	}
	if got := setTracks(t, c, setURL); !slices.Equal(got, want) {
		t.Errorf("set %s holds %v, want %v", setURL, got, want)
	}

	// The third push uploads nothing and prints the same links.
	code, out, errOut = runPush(t, args...)
	if code != 0 || !strings.Contains(errOut, "0 uploaded, 12 already shared") {
		t.Fatalf("third push: exit %d\n%s\n%s", code, out, errOut)
	}
	if third, thirdSet := links(t, out); !mapsEqual(third, second) || thirdSet != setURL {
		t.Errorf("the third push printed other links:\n%v %s\n%v %s", third, thirdSet, second, setURL)
	}
	if n := s.countTracks(t, ""); n != len(lib.audio) {
		t.Errorf("%d tracks after the third push, want %d", n, len(lib.audio))
	}
	if n := s.countSets(t); n != 1 {
		t.Errorf("%d sets after the third push, want 1", n)
	}

	// rm by path (found by content) and by ID.
	gone := []string{lib.audio[1], lib.audio[9]}
	if code, out, errOut := runPush(t, "rm", "--api", s.URL, "--manifest", manifest, gone[0], idOf(second[gone[1]])); code != 0 {
		t.Fatalf("rm: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, p := range gone {
		if r := c.do("GET", "/api/tracks/"+idOf(second[p]), nil, nil); r.Status != 404 {
			t.Errorf("%s: track still answers %d after rm", p, r.Status)
		}
	}
	if code, _, errOut := runPush(t, "rm", "--api", s.URL, "--manifest", manifest, idOf(second[gone[1]])); code != 1 || !strings.Contains(errOut, "shared to") {
		t.Errorf("rm of a forgotten ID: exit %d\n%s", code, errOut)
	}
	// The next push shares the removed files again, and only them, and puts them back in the
	// same set.
	code, out, errOut = runPush(t, args...)
	if code != 0 || !strings.Contains(errOut, "2 uploaded, 10 already shared") {
		t.Fatalf("push after rm: exit %d\n%s\n%s", code, out, errOut)
	}
	last, lastSet := links(t, out)
	want = want[:0]
	for _, p := range lib.audio {
		want = append(want, idOf(last[p]))
	}
	if got := setTracks(t, c, lastSet); lastSet != setURL || !slices.Equal(got, want) {
		t.Errorf("set %s (want %s) holds %v, want %v", lastSet, setURL, got, want)
	}
	if n := s.countSets(t); n != 1 {
		t.Errorf("%d sets, want 1", n)
	}
}

// setTracks is the IDs of the tracks of the set at link, in order.
func setTracks(t *testing.T, c client, link string) []string {
	t.Helper()
	r := c.do("GET", "/api/sets/"+idOf(link), nil, nil)
	if r.Status != 200 {
		t.Fatalf("set %s: %d %s", link, r.Status, r.Body)
	}
	var ids []string
	for _, tr := range r.json(t)["tracks"].([]any) {
		ids = append(ids, tr.(map[string]any)["id"].(string))
	}
	return ids
}

// countSets counts the sets in the table (items of kind "set").
func (s *testStack) countSets(t *testing.T) int {
	t.Helper()
	out, err := s.stack.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: &s.cfg.TableName})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range out.Items {
		if v, _ := it["kind"].(*types.AttributeValueMemberS); v != nil && v.Value == "set" {
			n++
		}
	}
	return n
}

// countTracks counts the table's tracks with status (every track when status is ""; items
// that are not tracks have none of the four statuses).
func (s *testStack) countTracks(t *testing.T, status string) int {
	t.Helper()
	out, err := s.stack.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{
		TableName: &s.cfg.TableName, ProjectionExpression: aws.String("#s"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range out.Items {
		v, _ := it["status"].(*types.AttributeValueMemberS)
		if v != nil && (v.Value == status || status == "" && slices.Contains([]string{"pending", "processing", "ready", "failed"}, v.Value)) {
			n++
		}
	}
	return n
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPushUsage: bad command lines print the usage and exit 2, and change nothing.
func TestPushUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"push"},
		{"push", "-j", "0", dir},
		{"push", "--no-such-flag", dir},
		{"push", "--api", "ftp://example.com", dir},
		{"push", "--set", "", dir},
		{"rm"},
		{"frobnicate"},
		{"dev", "extra"},
	} {
		code, _, errOut := runPush(t, args...)
		if code != 2 || !strings.Contains(errOut, "usage: soundtime") {
			t.Errorf("%q: exit %d\n%s", args, code, errOut)
		}
	}
	if code, out, _ := runPush(t, "push", "-h"); code != 0 || out != "" {
		t.Errorf("push -h: exit %d, stdout %q", code, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed command line wrote %v", entries)
	}
	// A PATH that does not exist, and a server that does not answer, are errors (exit 1).
	manifest := filepath.Join(dir, "m.json")
	if code, _, errOut := runPush(t, "push", "--api", shared.URL, "--manifest", manifest, filepath.Join(dir, "nope")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing PATH: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runPush(t, "push", "--api", "http://"+freeAddr(t), "--manifest", manifest, dir); code != 1 || !strings.Contains(errOut, "does not answer") {
		t.Errorf("no server: exit %d\n%s", code, errOut)
	}
}

// TestPushResumesParts interrupts a push of a file in parts after its first part is stored; the
// next push asks storage what it holds (GET /parts), sends only the other parts, and the track
// is the file, byte for byte.
func TestPushResumesParts(t *testing.T) {
	s := pushStack(t)
	path := filepath.Join(t.TempDir(), "Long Piece.wav")
	b, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "wav", Seconds: 120}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := &push.Manifest{Path: filepath.Join(t.TempDir(), "manifest.json")}
	var out, errOut bytes.Buffer
	opt := push.Options{
		Client: apiclient.New(s.URL), Manifest: manifest, Paths: []string{path},
		PartsInFlight: 1, Stdout: &out, Stderr: &errOut,
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sent []int
	opt.AfterPart = func(_ push.File, n int) { sent = append(sent, n); cancel() }
	rep, err := push.Run(ctx, opt)
	if err != nil || !rep.Interrupted || !slices.Equal(sent, []int{1}) {
		t.Fatalf("first push: %+v %v, parts %v\n%s", rep, err, sent, errOut.String())
	}

	sent = nil
	opt.AfterPart = func(_ push.File, n int) { sent = append(sent, n) }
	rep, err = push.Run(context.Background(), opt)
	if err != nil || rep.Uploaded != 1 || rep.ExitCode() != 0 {
		t.Fatalf("second push: %+v %v\n%s", rep, err, errOut.String())
	}
	// 21 MB in 8 MiB parts: three, of which the first was stored already.
	if !slices.Equal(sent, []int{2, 3}) {
		t.Errorf("the second push sent parts %v, want [2 3]", sent)
	}
	c := s.client(t)
	id := idOf(rep.Links[path])
	c.waitStatusWithin(id, "ready", 60*time.Second)
	dl := c.do("GET", "/api/tracks/"+id+"/download", nil, nil)
	if dl.Status != 200 {
		t.Fatalf("download: %d %s", dl.Status, dl.Body)
	}
	got := c.do("GET", dl.json(t)["url"].(string), nil, nil)
	if got.Status != 200 || !bytes.Equal(got.Body, b) {
		t.Errorf("the track's original is %d bytes (status %d), want the file's %d", len(got.Body), got.Status, len(b))
	}
	if n := s.countTracks(t, ""); n != 1 {
		t.Errorf("%d tracks, want 1", n)
	}
}
