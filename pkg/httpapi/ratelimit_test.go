package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
)

func TestLimiterRefills(t *testing.T) {
	ctx := context.Background()
	now := start
	l := httpapi.NewTokenBucket(60, 2) // one a second, bursts of two
	l.Now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _, _ := l.Allow(ctx, "a"); ok != want {
			t.Fatalf("request %d allowed=%v, want %v", i, ok, want)
		}
	}
	if ok, wait, _ := l.Allow(ctx, "a"); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v", ok, wait)
	}
	if ok, _, _ := l.Allow(ctx, "b"); !ok {
		t.Fatal("another client shares the first one's bucket")
	}
	now = now.Add(time.Second)
	if ok, _, _ := l.Allow(ctx, "a"); !ok {
		t.Fatal("no token after a second")
	}
	// Long idle: the bucket is full again, never fuller than the burst.
	now = now.Add(time.Hour)
	for i, want := range []bool{true, true, false} {
		if ok, _, _ := l.Allow(ctx, "a"); ok != want {
			t.Fatalf("after idling, request %d allowed=%v, want %v", i, ok, want)
		}
	}
}

// TestCreateRateLimited: past the burst, starting an upload answers 429 rate_limited with
// Retry-After, writes nothing, and leaves other clients and other routes alone.
func TestCreateRateLimited(t *testing.T) {
	h := newHarness(t)
	l := httpapi.NewTokenBucket(6, 2)
	l.Now = h.clock.Now
	h.srv.Limit = l
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

// requestFrom sends a request as a viewer would through CloudFront (edge is API Gateway's
// sourceIp, an edge server) or straight to the origin.
func (h *harness) requestFrom(edge string, headers map[string]string, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = edge
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// TestForgedAddressesDoNotDodgeTheLimit: without CloudFront (the local runner) the limit keys on
// the connection's address, and no header a client sends changes that.
func TestForgedAddressesDoNotDodgeTheLimit(t *testing.T) {
	h := newHarness(t)
	l := httpapi.NewTokenBucket(6, 2)
	l.Now = h.clock.Now
	h.srv.Limit = l
	for i, forged := range []map[string]string{
		nil,
		{"X-Forwarded-For": "10.0.0.1"},
		{"X-Forwarded-For": "10.0.0.2", httpapi.ViewerAddressHeader: "10.0.0.3", "CloudFront-Viewer-Address": "10.0.0.4:443"},
	} {
		rec := h.requestFrom("198.51.100.7:4000", forged, "POST", "/api/tracks", goodBody)
		if want := http.StatusCreated; i == 2 {
			wantError(t, rec, http.StatusTooManyRequests, "rate_limited")
		} else if rec.Code != want {
			t.Fatalf("request %d = %d", i, rec.Code)
		}
	}
}

// TestBehindCloudFront: with an origin secret, only requests that carry it are served (a
// client calling the API Gateway URL directly gets 403, limits and all bypassed otherwise),
// and the limit keys on the viewer's address that CloudFront's function set, not on the edge
// server that API Gateway sees.
func TestBehindCloudFront(t *testing.T) {
	h := newHarness(t)
	l := httpapi.NewTokenBucket(6, 2)
	l.Now = h.clock.Now
	h.srv.Limit = l
	h.srv.OriginSecret = "s3cret-from-the-distribution"
	via := func(viewer string) map[string]string {
		return map[string]string{httpapi.OriginVerifyHeader: h.srv.OriginSecret, httpapi.ViewerAddressHeader: viewer}
	}
	for _, hdr := range []map[string]string{nil, {httpapi.OriginVerifyHeader: "guess"}, {httpapi.ViewerAddressHeader: "198.51.100.7"}} {
		for _, target := range []string{"/api/tracks", "/api/tracks/Nope0000", "/t/Nope0000", "/healthz"} {
			method := "GET"
			if target == "/api/tracks" {
				method = "POST"
			}
			rec := h.requestFrom("54.239.1.1:443", hdr, method, target, goodBody)
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s %s with %v = %d, want 403", method, target, hdr, rec.Code)
			}
		}
	}
	if h.store.Len() != 0 {
		t.Fatalf("a refused request wrote %d items", h.store.Len())
	}
	// One viewer behind two edge servers: one budget.
	for i, edge := range []string{"54.239.1.1:443", "54.239.9.9:443", "54.239.1.1:443"} {
		rec := h.requestFrom(edge, via("198.51.100.7"), "POST", "/api/tracks", goodBody)
		if want := http.StatusCreated; i == 2 {
			wantError(t, rec, http.StatusTooManyRequests, "rate_limited")
		} else if rec.Code != want {
			t.Fatalf("request %d = %d %s", i, rec.Code, rec.Body)
		}
	}
	// Two viewers behind one edge server: two budgets.
	if rec := h.requestFrom("54.239.1.1:443", via("203.0.113.9"), "POST", "/api/tracks", goodBody); rec.Code != http.StatusCreated {
		t.Fatalf("another viewer on the same edge = %d", rec.Code)
	}
	// An IPv6 subscriber holds a whole /64: hopping addresses inside it does not help.
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		rec := h.requestFrom("54.239.1.1:443", via(addr), "POST", "/api/tracks", goodBody)
		if want := http.StatusCreated; i == 2 {
			wantError(t, rec, http.StatusTooManyRequests, "rate_limited")
		} else if rec.Code != want {
			t.Fatalf("IPv6 request %d = %d", i, rec.Code)
		}
	}
}

// failingLimiter cannot tell.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("table unreachable")
}

// TestLimitersInOrder: every limiter must allow; one that cannot tell is skipped, so an
// unreachable shared table does not stop uploads.
func TestLimitersInOrder(t *testing.T) {
	ctx := context.Background()
	tight := httpapi.NewTokenBucket(60, 1)
	ls := httpapi.Limiters{failingLimiter{}, tight}
	if ok, _, err := ls.Allow(ctx, "a"); !ok || err == nil {
		t.Fatalf("first = %v, %v; want allowed with the failing limiter's error", ok, err)
	}
	if ok, wait, _ := ls.Allow(ctx, "a"); ok || wait <= 0 {
		t.Fatalf("second = %v, %v; want refused by the token bucket", ok, wait)
	}
}
