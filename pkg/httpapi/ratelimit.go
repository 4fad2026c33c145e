package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Limiter decides whether a client may start another upload. Allow reports how long until it
// may when it may not; an error means the limiter could not tell (the request is then allowed:
// API Gateway's throttling still bounds the whole API).
type Limiter interface {
	Allow(ctx context.Context, client string) (ok bool, retryAfter time.Duration, err error)
}

// Starting uploads, per client: generous for people (a folder of 60 files at once), a wall for
// scripts.
const (
	UploadsPerMinute = 120
	UploadBurst      = 60
)

// TokenBucket is a Limiter with a token bucket per client in this process: Burst requests at
// once, then Rate per second. In Lambda it is per warm instance, so it only spares the shared
// limiter the floods; the shared one (dynamo.Limiter) is what holds across instances.
type TokenBucket struct {
	Rate  float64 // tokens per second
	Burst float64
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewTokenBucket returns a limiter of perMinute requests a minute with bursts of burst.
func NewTokenBucket(perMinute, burst int) *TokenBucket {
	return &TokenBucket{Rate: float64(perMinute) / 60, Burst: float64(burst), Now: time.Now, buckets: map[string]*bucket{}}
}

var _ Limiter = (*TokenBucket)(nil)

// Allow takes a token of client's bucket, or reports how long until one is there.
func (l *TokenBucket) Allow(_ context.Context, client string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	// Buckets idle long enough to be full again carry no information: drop them now and then,
	// so that many clients cannot grow the map without bound.
	if now.Sub(l.swept) > time.Minute {
		full := time.Duration(l.Burst / l.Rate * float64(time.Second))
		for k, b := range l.buckets {
			if now.Sub(b.at) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.Burst, b.tokens+now.Sub(b.at).Seconds()*l.Rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Second)), nil
}

// Limiters is a Limiter that allows what every one of its limiters allows, asked in order: a
// cheap local one first spares a shared one the floods.
type Limiters []Limiter

// Allow implements Limiter. A limiter that fails is skipped (its error is returned with the
// others' verdict), so an unreachable shared store does not stop uploads.
func (ls Limiters) Allow(ctx context.Context, client string) (bool, time.Duration, error) {
	var errs []error
	for _, l := range ls {
		ok, wait, err := l.Allow(ctx, client)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			return false, wait, errors.Join(errs...)
		}
	}
	return true, 0, errors.Join(errs...)
}

// limited wraps h with s.Limit, keyed by the viewer's address; a refusal is written with fail
// (the new API's error shape, or v1's).
func (s *Server) limited(h http.HandlerFunc, fail errorWriter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Limit != nil {
			ok, wait, err := s.Limit.Allow(r.Context(), s.viewer(r))
			if err != nil {
				s.logger(r).Warn("rate limit not checked", slog.Any("error", err))
			}
			if !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
				fail(w, r, track.Errorf(track.ERateLimited, "too many uploads started; try again in a few seconds"))
				return
			}
		}
		h(w, r)
	}
}

// errorWriter answers a request with an error in one of the two error shapes.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Headers between CloudFront and the API. CloudFront adds OriginVerifyHeader (the origin's
// custom header, holding a secret only the distribution and the functions know) to every request
// it forwards, replacing any a viewer sent; its viewer-request function sets ViewerAddressHeader
// from the connection's address, replacing any a viewer sent.
const (
	OriginVerifyHeader  = "X-Origin-Verify"
	ViewerAddressHeader = "X-Viewer-Address"
)

// fromOrigin reports whether r came through our distribution: always true without an
// OriginSecret (the local runner, which viewers reach directly).
func (s *Server) fromOrigin(r *http.Request) bool {
	if s.OriginSecret == "" {
		return true
	}
	got := r.Header.Get(OriginVerifyHeader)
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.OriginSecret)) == 1
}

// viewer is the key of the client that sent r. Behind CloudFront (an OriginSecret is set, and
// the middleware has refused whatever lacks it) it is the address CloudFront saw, from
// ViewerAddressHeader; API Gateway's own source address is an edge server's, shared by
// everyone behind it. Locally it is the peer's address. Forwarded-for headers are never read:
// anyone can send them. An IPv6 address counts by its /64, which one subscriber holds whole.
func (s *Server) viewer(r *http.Request) string {
	raw := r.RemoteAddr
	if s.OriginSecret != "" {
		raw = r.Header.Get(ViewerAddressHeader)
	}
	if host, _, err := net.SplitHostPort(raw); err == nil {
		raw = host
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return raw
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
