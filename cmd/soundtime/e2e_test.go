package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
)

type testStack struct {
	*Runner
	cfg config.Config
}

func startRunner(t *testing.T, dir string) *testStack {
	t.Helper()
	s, err := newStack(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newStack starts a runner on a free port with its state in dir.
func newStack(dir string) (*testStack, error) { return newStackWith(dir, nil) }

// newStackWith starts a runner with extra environment.
func newStackWith(dir string, env map[string]string) (*testStack, error) {
	return newStackLogging(dir, env, io.Discard)
}

// newStackLogging starts a runner with extra environment that logs JSON lines to logs. The
// free port it picks may be taken by another test process before the runner binds it: it tries
// again with another, a few times.
func newStackLogging(dir string, env map[string]string, logs io.Writer) (*testStack, error) {
	return newStackTuned(dir, env, logs, nil)
}

// newStackTuned is newStackLogging with tune, when set, changing the loaded configuration
// before the runner starts: for what tests set that the environment does not (the smallest
// part of a multipart upload).
func newStackTuned(dir string, env map[string]string, logs io.Writer, tune func(*config.Config)) (*testStack, error) {
	for attempt := 1; ; attempt++ {
		s, err := startOnFreePort(dir, env, logs, tune)
		if err == nil || attempt == 3 || env["SOUNDTIME_ADDR"] != "" || !errors.Is(err, syscall.EADDRINUSE) {
			return s, err
		}
	}
}

func startOnFreePort(dir string, env map[string]string, logs io.Writer, tune func(*config.Config)) (*testStack, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	vars := map[string]string{"SOUNDTIME_ADDR": addr, "SOUNDTIME_DATA_DIR": dir, "MAX_UPLOAD_BYTES": "10485760", "MAX_DURATION": "1m"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, config.Local)
	if err != nil {
		return nil, err
	}
	if tune != nil {
		tune(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	if os.Getenv("SOUNDTIME_TEST_VERBOSE") != "" {
		log = slog.New(slog.NewJSONHandler(io.MultiWriter(logs, os.Stderr), nil))
	}
	r, err := Start(context.Background(), cfg, log)
	if err != nil {
		return nil, err
	}
	return &testStack{Runner: r, cfg: cfg}, nil
}

// shared is one runner for the package: the tests use fresh IDs and do not disturb each other.
var shared *testStack

func TestMain(m *testing.M) {
	// TestInterruptStopsEverything and the push tests run this binary as the real program,
	// with the program's arguments after "--".
	if os.Getenv("SOUNDTIME_TEST_RUN_MAIN") == "1" {
		args := []string{}
		if i := slices.Index(os.Args, "--"); i >= 0 {
			args = os.Args[i+1:]
		}
		os.Exit(run(args))
	}
	dir, err := os.MkdirTemp("", "soundtime-e2e-")
	if err == nil {
		shared, err = newStack(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local stack:", err)
		os.Exit(1)
	}
	// One folder of generated audio for the package: each file is made once.
	code := mediatest.Run(m)
	shared.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// client is what a user with curl does.
type client struct {
	t    *testing.T
	base string
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	if msg, _ := e["message"].(string); code == "" || msg == "" {
		t.Fatalf("not an error body: %s", r.Body)
	}
	return code
}

func (c client) do(method, rawURL string, headers map[string]string, body []byte) response {
	c.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = c.base + rawURL
	}
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	noRedirect := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func (c client) postJSON(path string, v any) response {
	c.t.Helper()
	b, _ := json.Marshal(v)
	return c.do(http.MethodPost, path, map[string]string{"Content-Type": "application/json"}, b)
}

// audioBytes returns a real MP3 of about seconds, and its Content-MD5.
func audioBytes(t *testing.T, seconds float64) ([]byte, string) {
	t.Helper()
	b, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: seconds}))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return b, base64.StdEncoding.EncodeToString(sum[:])
}

// waitStatus polls the track until it has status want.
func (c client) waitStatus(id, want string) map[string]any {
	c.t.Helper()
	return c.waitStatusWithin(id, want, 20*time.Second)
}

// waitStatusWithin polls the track until it has status want, for at most limit.
func (c client) waitStatusWithin(id, want string, limit time.Duration) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		r := c.do(http.MethodGet, "/api/tracks/"+id, nil, nil)
		if r.Status == 200 {
			m := r.json(c.t)
			if m["status"] == want {
				return m
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("track %s never reached %s: last %d %s", id, want, r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *testStack) client(t *testing.T) client { return client{t: t, base: s.URL} }

func (s *testStack) countItems(t *testing.T) int {
	t.Helper()
	out, err := s.stack.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: &s.cfg.TableName, Select: "COUNT"})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

func (s *testStack) objectKeys(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := s.stack.S3().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &s.cfg.MediaBucket, Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

// TestUploadShareDownloadDelete is the user's flow of the issue, with only HTTP.
func TestUploadShareDownloadDelete(t *testing.T) {
	c := shared.client(t)
	body, sum := audioBytes(t, 6)
	name := "Söng \"live\"; take 2, final.mp3"
	r := c.postJSON("/api/tracks", map[string]any{"filename": name, "type": "audio/mpeg", "size": len(body), "md5": sum})
	if r.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	created := r.json(t)
	id := created["id"].(string)
	if len(id) != 8 || created["url"] != shared.cfg.PublicBaseURL+"/t/"+id || created["status"] != "pending" {
		t.Fatalf("created = %v", created)
	}
	up := created["upload"].(map[string]any)
	headers := map[string]string{}
	for k, v := range up["headers"].(map[string]any) {
		headers[k] = v.(string)
	}
	token := created["deleteToken"].(string)

	// Before the upload: visible as pending, not downloadable yet.
	if r := c.do("GET", "/api/tracks/"+id+"/download", nil, nil); r.Status != 409 || r.errorCode(t) != "not_ready" {
		t.Fatalf("download while pending = %d %s", r.Status, r.Body)
	}
	if r := c.do(up["method"].(string), up["url"].(string), headers, body); r.Status != 200 {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	info := c.waitStatus(id, "ready")
	if info["filename"] != name || info["size"] != float64(len(body)) || info["type"] != "audio/mpeg" || info["uploadedAt"] == nil {
		t.Fatalf("info = %v", info)
	}
	exp, _ := time.Parse(time.RFC3339, info["expiresAt"].(string))
	if d := time.Until(exp); d < 13*24*time.Hour {
		t.Fatalf("an uploaded track should live RETENTION, expires in %v", d)
	}

	r = c.do("GET", "/api/tracks/"+id+"/download", nil, nil)
	if r.Status != 200 {
		t.Fatalf("download = %d %s", r.Status, r.Body)
	}
	dl := r.json(t)
	if dl["filename"] != name {
		t.Fatalf("download filename = %v", dl["filename"])
	}
	got := c.do("GET", dl["url"].(string), nil, nil)
	if got.Status != 200 || !bytes.Equal(got.Body, body) {
		t.Fatalf("signed download = %d, %d bytes, want the %d original bytes", got.Status, len(got.Body), len(body))
	}
	_, params, err := mime.ParseMediaType(got.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != name {
		t.Fatalf("Content-Disposition %q parses to %v (%v), want filename %q", got.Header.Get("Content-Disposition"), params, err, name)
	}
	if r := c.do("GET", "/api/tracks/"+id+"/download?redirect=1", nil, nil); r.Status != 302 || !strings.Contains(r.Header.Get("Location"), id) {
		t.Fatalf("redirect = %d %v", r.Status, r.Header.Get("Location"))
	}

	// Delete: only with the token.
	if r := c.do("DELETE", "/api/tracks/"+id, nil, nil); r.Status != 403 || r.errorCode(t) != "forbidden" {
		t.Fatalf("delete without token = %d %s", r.Status, r.Body)
	}
	if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + token + "x"}, nil); r.Status != 403 {
		t.Fatalf("delete with a wrong token = %d %s", r.Status, r.Body)
	}
	if r := c.do("GET", "/api/tracks/"+id, nil, nil); r.Status != 200 {
		t.Fatalf("refused deletes removed the track: %d", r.Status)
	}
	if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + token}, nil); r.Status != 204 {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/api/tracks/" + id, "/api/tracks/" + id + "/download", "/api/gettrackinfo?id=" + id} {
		if r := c.do("GET", p, nil, nil); r.Status != 404 {
			t.Fatalf("GET %s after delete = %d %s", p, r.Status, r.Body)
		}
	}
	if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + token}, nil); r.Status != 404 {
		t.Fatalf("second delete = %d %s", r.Status, r.Body)
	}
}

// TestV1Client calls the v1 routes exactly as the original Soundtime client does: its type
// parameter unencoded, filename and md5 percent-encoded, the PUT with only Content-MD5 and
// Content-Type.
func TestV1Client(t *testing.T) {
	c := shared.client(t)
	body, sum := audioBytes(t, 3)
	name := "My Song (demo) #1 & more.mp3"
	q := "filename=" + url.QueryEscape(name) + "&type=audio/mpeg&size=" + fmt.Sprint(len(body)) + "&md5=" + url.QueryEscape(sum)
	r := c.do("GET", "/api/getuploadurl?"+q, nil, nil)
	if r.Status != 200 {
		t.Fatalf("getuploadurl = %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	id, put := m["id"].(string), m["url"].(string)
	if len(m) != 2 || id == "" || put == "" {
		t.Fatalf("getuploadurl body = %s", r.Body)
	}
	if r := c.do("PUT", put, map[string]string{"Content-MD5": sum, "Content-Type": "audio/mpeg"}, body); r.Status != 200 {
		t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	c.waitStatus(id, "ready")
	r = c.do("GET", "/api/getTrackInfo?id="+id, nil, nil)
	info := r.json(t)
	if r.Status != 200 || info["filename"] != name || info["fileType"] != "audio/mpeg" || info["size"] != fmt.Sprint(len(body)) || info["uploadDate"] == nil {
		t.Fatalf("gettrackinfo = %d %s", r.Status, r.Body)
	}
	r = c.do("GET", "/api/GETDOWNLOADURL?id="+id, nil, nil)
	if r.Status != 200 {
		t.Fatalf("getdownloadurl = %d %s", r.Status, r.Body)
	}
	if got := c.do("GET", r.json(t)["url"].(string), nil, nil); got.Status != 200 || !bytes.Equal(got.Body, body) {
		t.Fatalf("v1 download = %d, %d bytes", got.Status, len(got.Body))
	}
	for _, p := range []string{"/api/gettrackinfo?id=zzzzzzzz", "/api/getdownloadurl?id=zzzzzzzz", "/api/gettrackinfo"} {
		r := c.do("GET", p, nil, nil)
		if r.Status != 404 || r.json(t)["errorMessage"] != "File was not found" {
			t.Fatalf("%s = %d %s", p, r.Status, r.Body)
		}
	}
	r = c.do("GET", "/api/getuploadurl?filename=a.mp3&type=text/html&size=3&md5="+url.QueryEscape(sum), nil, nil)
	if r.Status != 400 || r.json(t)["errorMessage"] == nil {
		t.Fatalf("v1 bad type = %d %s", r.Status, r.Body)
	}
}

func TestStreamOnlyRefusesDownload(t *testing.T) {
	c := shared.client(t)
	body, sum := audioBytes(t, 2)
	r := c.postJSON("/api/tracks", map[string]any{"filename": "s.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum, "downloadable": false})
	created := r.json(t)
	id := created["id"].(string)
	up := created["upload"].(map[string]any)
	if r := c.do("PUT", up["url"].(string), map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body); r.Status != 200 {
		t.Fatalf("PUT = %d", r.Status)
	}
	info := c.waitStatus(id, "ready")
	if info["downloadable"] != false {
		t.Fatalf("downloadable = %v", info["downloadable"])
	}
	if r := c.do("GET", "/api/tracks/"+id+"/download", nil, nil); r.Status != 403 || r.errorCode(t) != "not_downloadable" {
		t.Fatalf("download = %d %s", r.Status, r.Body)
	}
	// v1 clients know 400 and 404 only.
	if r := c.do("GET", "/api/getdownloadurl?id="+id, nil, nil); r.Status != 400 || r.json(t)["errorMessage"] == nil {
		t.Fatalf("v1 download = %d %s", r.Status, r.Body)
	}
}

// TestBadInputWritesNothing sends every kind of bad request and checks that the table and the
// bucket are exactly as before.
func TestBadInputWritesNothing(t *testing.T) {
	c := shared.client(t)
	_, sum := audioBytes(t, 1)
	valid := func(mod func(m map[string]any)) []byte {
		m := map[string]any{"filename": "a.mp3", "type": "audio/mpeg", "size": 10, "md5": sum}
		mod(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"malformed JSON", []byte(`{"filename":`), 400, "invalid_request"},
		{"not an object", []byte(`[1,2]`), 400, "invalid_request"},
		{"missing md5", valid(func(m map[string]any) { delete(m, "md5") }), 400, "invalid_request"},
		{"empty filename", valid(func(m map[string]any) { m["filename"] = "" }), 400, "invalid_filename"},
		{"long filename", valid(func(m map[string]any) { m["filename"] = strings.Repeat("a", 256) }), 400, "invalid_filename"},
		{"control character", valid(func(m map[string]any) { m["filename"] = "a\nb.mp3" }), 400, "invalid_filename"},
		{"type off the list", valid(func(m map[string]any) { m["type"] = "application/x-sh" }), 400, "unsupported_type"},
		{"zero size", valid(func(m map[string]any) { m["size"] = 0 }), 400, "invalid_size"},
		{"negative size", valid(func(m map[string]any) { m["size"] = -5 }), 400, "invalid_size"},
		{"too large", valid(func(m map[string]any) { m["size"] = 10485761 }), 413, "too_large"},
		{"md5 of 15 bytes", valid(func(m map[string]any) { m["md5"] = base64.StdEncoding.EncodeToString(make([]byte, 15)) }), 400, "invalid_md5"},
		{"md5 not base64", valid(func(m map[string]any) { m["md5"] = "not base64!" }), 400, "invalid_md5"},
	}
	items, objects := shared.countItems(t), len(shared.objectKeys(t, ""))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/api/tracks", map[string]string{"Content-Type": "application/json"}, tc.body)
			if r.Status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	for _, p := range []string{"/api/tracks/abc", "/api/tracks/..%2f..%2fetc", "/api/tracks/zzzzzzzz", "/api/tracks/zzzzzzzz/download"} {
		if r := c.do("GET", p, nil, nil); r.Status != 404 || r.errorCode(t) != "not_found" {
			t.Fatalf("GET %s = %d %s", p, r.Status, r.Body)
		}
	}
	if r := c.do("DELETE", "/api/tracks/zzzzzzzz", map[string]string{"Authorization": "Bearer x"}, nil); r.Status != 404 {
		t.Fatalf("DELETE unknown = %d %s", r.Status, r.Body)
	}
	if got := shared.countItems(t); got != items {
		t.Fatalf("bad requests changed the table: %d items, was %d", got, items)
	}
	if got := len(shared.objectKeys(t, "")); got != objects {
		t.Fatalf("bad requests changed the bucket: %d objects, was %d", got, objects)
	}
}

// TestRefusedUploadLeavesTrackPending: S3 itself refuses bytes or headers other than those
// signed, so nothing reaches the bucket and the track stays pending (and expires).
func TestRefusedUploadLeavesTrackPending(t *testing.T) {
	c := shared.client(t)
	body, sum := audioBytes(t, 1)
	created := c.postJSON("/api/tracks", map[string]any{"filename": "a.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum}).json(t)
	id := created["id"].(string)
	put := created["upload"].(map[string]any)["url"].(string)
	other := append([]byte{}, body...)
	other[100] ^= 0xff
	for name, h := range map[string]map[string]string{
		"other bytes":     {"Content-Type": "audio/mpeg", "Content-MD5": sum},
		"other type":      {"Content-Type": "text/html", "Content-MD5": sum},
		"no MD5 header":   {"Content-Type": "audio/mpeg"},
		"no type, no MD5": {},
	} {
		b := body
		if name == "other bytes" {
			b = other
		}
		if r := c.do("PUT", put, h, b); r.Status < 400 {
			t.Fatalf("%s: PUT = %d, want refused", name, r.Status)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if m := c.do("GET", "/api/tracks/"+id, nil, nil).json(t); m["status"] != "pending" {
		t.Fatalf("status = %v", m["status"])
	}
	if keys := shared.objectKeys(t, "uploads/"+id+"/"); len(keys) != 0 {
		t.Fatalf("refused uploads left objects: %v", keys)
	}
}

func TestHealthz(t *testing.T) {
	r := shared.client(t).do("GET", "/healthz", nil, nil)
	if r.Status != 200 || r.json(t)["ok"] != true {
		t.Fatalf("healthz = %d %s", r.Status, r.Body)
	}
}

// TestStateSurvivesRestart: a second runner on the same data folder serves what the first stored.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := startRunner(t, dir)
	c := first.client(t)
	body, sum := audioBytes(t, 2)
	created := c.postJSON("/api/tracks", map[string]any{"filename": "keep.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum}).json(t)
	id := created["id"].(string)
	if r := c.do("PUT", created["upload"].(map[string]any)["url"].(string), map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body); r.Status != 200 {
		t.Fatalf("PUT = %d", r.Status)
	}
	c.waitStatus(id, "ready")
	first.Close()

	second := startRunner(t, dir)
	defer second.Close()
	c2 := second.client(t)
	if m := c2.waitStatus(id, "ready"); m["filename"] != "keep.mp3" {
		t.Fatalf("after restart: %v", m)
	}
	dl := c2.do("GET", "/api/tracks/"+id+"/download", nil, nil).json(t)
	if got := c2.do("GET", dl["url"].(string), nil, nil); got.Status != 200 || !bytes.Equal(got.Body, body) {
		t.Fatalf("download after restart = %d", got.Status)
	}
}
