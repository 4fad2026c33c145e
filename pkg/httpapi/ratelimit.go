package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Limiter is a token bucket per client: Burst requests at once, then Rate per second. It guards
// the routes that start uploads, each of which writes an item. In AWS, API Gateway's throttling
// bounds the whole API; this bounds one client (per warm instance) and is what `make dev` has.
type Limiter struct {
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

// Starting uploads, per client: generous for people (a folder of 60 files at once), a wall for
// scripts.
const (
	UploadsPerMinute = 120
	UploadBurst      = 60
)

// NewLimiter returns a limiter of perMinute requests a minute with bursts of burst.
func NewLimiter(perMinute, burst int) *Limiter {
	return &Limiter{Rate: float64(perMinute) / 60, Burst: float64(burst), Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes a token of client's bucket, or reports how long until one is there.
func (l *Limiter) Allow(client string) (bool, time.Duration) {
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
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
}

// limited wraps h with s.Limit, keyed by the client's address.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Limit != nil {
			if ok, wait := s.Limit.Allow(clientIP(r)); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
				err := track.Errorf(track.ERateLimited, "too many uploads started; try again in a few seconds")
				if strings.HasPrefix(r.URL.Path, "/api/get") {
					s.v1Error(w, r, err)
				} else {
					s.writeError(w, r, err)
				}
				return
			}
		}
		h(w, r)
	}
}

// clientIP is the request's source address: API Gateway's sourceIp (pkg/apigw puts it in
// RemoteAddr), or the peer of the local runner. Forwarded headers are not trusted: anyone can
// send them.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
