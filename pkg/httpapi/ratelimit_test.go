package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
)

func TestLimiterRefills(t *testing.T) {
	now := start
	l := httpapi.NewLimiter(60, 2) // one a second, bursts of two
	l.Now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Fatalf("request %d allowed=%v, want %v", i, ok, want)
		}
	}
	if ok, wait := l.Allow("a"); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another client shares the first one's bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no token after a second")
	}
	// Long idle: the bucket is full again, never fuller than the burst.
	now = now.Add(time.Hour)
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Fatalf("after idling, request %d allowed=%v, want %v", i, ok, want)
		}
	}
}

// TestCreateRateLimited: past the burst, starting an upload answers 429 rate_limited with
// Retry-After, writes nothing, and leaves other clients and other routes alone.
func TestCreateRateLimited(t *testing.T) {
	h := newHarness(t)
	h.srv.Limit = httpapi.NewLimiter(6, 2)
	h.srv.Limit.Now = h.clock.Now
	do := func(addr, method, target, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.RemoteAddr = addr
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 2; i++ {
		if rec := do("198.51.100.7:4000", "POST", "/api/tracks", goodBody); rec.Code != http.StatusCreated {
			t.Fatalf("create %d = %d", i, rec.Code)
		}
	}
	rec := do("198.51.100.7:4001", "POST", "/api/tracks", goodBody)
	wantError(t, rec, http.StatusTooManyRequests, "rate_limited")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if h.store.Len() != 2 {
		t.Fatalf("store has %d items, want the 2 allowed", h.store.Len())
	}
	v1 := do("198.51.100.7:4002", "GET", "/api/getuploadurl?filename=a.mp3&type=audio/mpeg&size=3&md5="+strings.ReplaceAll(emptyMD5, "+", "%2B"), "")
	wantV1Error(t, v1, http.StatusTooManyRequests, "too many uploads started; try again in a few seconds")
	if rec := do("203.0.113.9:5000", "POST", "/api/tracks", goodBody); rec.Code != http.StatusCreated {
		t.Fatalf("another client = %d", rec.Code)
	}
	if rec := do("198.51.100.7:4003", "GET", "/api/tracks/zzzzzzzz", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("reads are not limited: %d", rec.Code)
	}
	h.clock.Advance(10 * time.Second)
	if rec := do("198.51.100.7:4004", "POST", "/api/tracks", goodBody); rec.Code != http.StatusCreated {
		t.Fatalf("after refilling = %d", rec.Code)
	}
}
