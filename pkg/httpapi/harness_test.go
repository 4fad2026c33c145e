package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

const baseURL = "https://soundtime.example"

const maxBytes = 2 << 30

var testConfig = track.Config{
	Retention:      336 * time.Hour,
	PendingTTL:     10 * time.Minute,
	FailedTTL:      24 * time.Hour,
	MaxUploadBytes: maxBytes,
	UploadURLTTL:   10 * time.Minute,
	MediaURLTTL:    30 * time.Minute,
	ProcessTimeout: 15 * time.Minute,
}

// start is a whole second, as the table keeps times.
var start = time.Date(2025, 11, 23, 9, 12, 45, 0, time.UTC)

// emptyMD5 is the Content-MD5 of the empty file.
const emptyMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="

const goodBody = `{"filename":"Song (live).mp3","type":"audio/mpeg","size":4812345,"md5":"` + emptyMD5 + `"}`

// syncBuffer collects log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a Server with every route group over the in-memory fakes and a pinned clock.
type harness struct {
	srv     *httpapi.Server
	handler http.Handler
	svc     *track.Service
	store   *tracktest.MemStore
	blobs   *tracktest.MemBlobs
	clock   *tracktest.Clock
	logs    *syncBuffer
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	c := tracktest.NewClock(start)
	store, blobs := tracktest.NewMemStore(), tracktest.NewMemBlobs()
	blobs.Now = c.Now
	svc := &track.Service{
		Store: store, Blobs: blobs, Config: testConfig,
		Now: c.Now, Rand: mrand.NewChaCha8([32]byte{'h', 't', 't', 'p'}),
	}
	logs := &syncBuffer{}
	srv := &httpapi.Server{Tracks: svc, BaseURL: baseURL, Log: slog.New(slog.NewJSONHandler(logs, nil))}
	return &harness{
		srv: srv, handler: srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads),
		svc: svc, store: store, blobs: blobs, clock: c, logs: logs,
	}
}

// do serves one request; headers come in name, value pairs. A POST is sent as JSON (as the web
// app sends it) unless headers say otherwise.
func (h *harness) do(t testing.TB, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// created is the 201 answer to POST /api/tracks.
type created struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Status string `json:"status"`
	Upload struct {
		Method    string            `json:"method"`
		URL       string            `json:"url"`
		ExpiresAt string            `json:"expiresAt"`
		Headers   map[string]string `json:"headers"`
	} `json:"upload"`
	DeleteToken string `json:"deleteToken"`
	ExpiresAt   string `json:"expiresAt"`
}

// create starts an upload through the API.
func (h *harness) create(t testing.TB, body string) created {
	t.Helper()
	rec := h.do(t, "POST", "/api/tracks", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/tracks = %d %s", rec.Code, rec.Body)
	}
	var c created
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// upload puts the announced object in the bucket and lets the service see it, so the track
// becomes processing.
func (h *harness) upload(t testing.TB, id string, info track.ObjectInfo) *track.Track {
	t.Helper()
	tr, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	h.blobs.Add(tr.OriginalKey, info)
	got, err := h.svc.Arrive(context.Background(), tr.OriginalKey)
	if err != nil {
		t.Fatalf("Arrive = %v, %v", got, err)
	}
	return got
}

// decodeObject decodes a JSON object body, failing on anything else.
func decodeObject(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		t.Fatalf("body %q is not a JSON object: %v", rec.Body, err)
	}
	return m
}

// wantKeys fails unless m has exactly the keys given.
func wantKeys(t testing.TB, what string, m map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s has keys %q, want %q", what, got, keys)
	}
}

// wantError checks an API error answer: status, and a body of exactly
// {"error":{"code","message"}} with the code given and a message.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
		return
	}
	m := decodeObject(t, rec)
	wantKeys(t, "error body", m, "error")
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("error is %T, want an object: %s", m["error"], rec.Body)
	}
	wantKeys(t, "error", e, "code", "message")
	if e["code"] != code {
		t.Errorf("code = %v, want %q (body %s)", e["code"], code, rec.Body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("message = %v, want a non-empty string", e["message"])
	}
}

// wantV1Error checks a Soundtime v1 error answer: {"errorMessage": …} only.
func wantV1Error(t testing.TB, rec *httptest.ResponseRecorder, status int, message string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
		return
	}
	m := decodeObject(t, rec)
	wantKeys(t, "v1 error body", m, "errorMessage")
	msg, _ := m["errorMessage"].(string)
	if msg == "" {
		t.Errorf("errorMessage = %v, want a non-empty string", m["errorMessage"])
	}
	if message != "" && msg != message {
		t.Errorf("errorMessage = %q, want %q", msg, message)
	}
}

func parseTime(t testing.TB, what string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s = %v, want an RFC 3339 time: %v", what, v, err)
		return time.Time{}
	}
	if !strings.HasSuffix(s, "Z") {
		t.Errorf("%s = %q, want UTC", what, s)
	}
	return ts
}
