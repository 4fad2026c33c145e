package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

// Stats is where /api/stats reads its numbers and where plays and downloads are counted
// (dynamo.Counters).
type Stats interface {
	Snapshot(ctx context.Context, now time.Time) (stats.Snapshot, error)
	Add(ctx context.Context, c stats.Change) error
}

// statsMaxAge is how long an answer of /api/stats is reused, here and in caches downstream.
const statsMaxAge = 60 * time.Second

// statsCache keeps the last snapshot: however many pages poll, the counters are read at most
// once a minute per instance.
type statsCache struct {
	mu   sync.Mutex
	at   time.Time
	snap stats.Snapshot
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	if s.Stats == nil {
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: track.ENotFound, Message: "this service keeps no statistics"}})
		return
	}
	now := s.now()
	c := &s.statsCache
	c.mu.Lock()
	if c.at.IsZero() || now.Sub(c.at) >= statsMaxAge || now.Before(c.at) {
		snap, err := s.Stats.Snapshot(r.Context(), now)
		if err != nil {
			c.mu.Unlock()
			s.writeError(w, r, err)
			return
		}
		c.at, c.snap = now, snap
	}
	snap, age := c.snap, now.Sub(c.at)
	c.mu.Unlock()
	writeJSONCached(w, http.StatusOK, "public, max-age="+strconv.Itoa(int((statsMaxAge-age).Seconds())), snap)
}

// count adds c to the counters and emits the metric of the same event. A count that fails is
// logged and dropped: a listener's play never fails for the statistics' sake.
func (s *Server) count(r *http.Request, c stats.Change, metric string) {
	s.Metrics.Emit(r.Context(), nil, metrics.C(metric))
	if s.Stats == nil {
		return
	}
	if err := s.Stats.Add(r.Context(), c); err != nil {
		s.logger(r).Warn("not counted", slog.Any("error", err))
	}
}

func (s *Server) now() time.Time {
	if s.Tracks != nil && s.Tracks.Now != nil {
		return s.Tracks.Now()
	}
	return time.Now()
}
