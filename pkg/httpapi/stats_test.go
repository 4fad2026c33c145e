package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/stats"
)

// fakeStats is httpapi.Stats with function fields, recording what was counted.
type fakeStats struct {
	mu        sync.Mutex
	snapshots int
	added     []stats.Change
	SnapErr   error
	AddErr    error
}

func (f *fakeStats) Snapshot(_ context.Context, now time.Time) (stats.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots++
	if f.SnapErr != nil {
		return stats.Snapshot{}, f.SnapErr
	}
	return stats.Summarize(now, stats.Totals{Ready: int64(f.snapshots)}, nil), nil
}

func (f *fakeStats) Add(_ context.Context, c stats.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, c)
	return f.AddErr
}

func (f *fakeStats) counted() (plays, downloads int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.added {
		plays += c.Hour.Plays
		downloads += c.Hour.Downloads
	}
	return
}

// The answer is read at most once a minute per instance, says how long it may be kept, and may
// be read from any origin.
func TestStatsEndpoint(t *testing.T) {
	h := newHarness(t)
	if rec := h.do(t, "GET", "/api/stats", ""); rec.Code != http.StatusNotFound {
		t.Errorf("without counters: %d, want 404", rec.Code)
	}
	f := &fakeStats{}
	h.srv.Stats = f
	rec := h.do(t, "GET", "/api/stats", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, max-age=60" || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET = %d, headers %v", rec.Code, rec.Header())
	}
	if !strings.Contains(rec.Body.String(), `"ready":1`) || !strings.Contains(rec.Body.String(), `"hourly":[{"hour":`) {
		t.Errorf("body %s", rec.Body)
	}
	h.clock.Advance(30 * time.Second)
	rec = h.do(t, "GET", "/api/stats", "")
	if f.snapshots != 1 || rec.Header().Get("Cache-Control") != "public, max-age=30" || !strings.Contains(rec.Body.String(), `"ready":1`) {
		t.Errorf("30 s later: %d reads, Cache-Control %q", f.snapshots, rec.Header().Get("Cache-Control"))
	}
	h.clock.Advance(31 * time.Second)
	rec = h.do(t, "GET", "/api/stats", "")
	if f.snapshots != 2 || !strings.Contains(rec.Body.String(), `"ready":2`) {
		t.Errorf("61 s later: %d reads, body %s", f.snapshots, rec.Body)
	}

	// A failed read is a 500 that says nothing of its cause, and is not cached.
	h.clock.Advance(time.Minute)
	f.SnapErr = errors.New("dynamo: read counters: secret detail")
	rec = h.do(t, "GET", "/api/stats", "")
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("failed read = %d %s", rec.Code, rec.Body)
	}
	f.SnapErr = nil
	if rec := h.do(t, "GET", "/api/stats", ""); rec.Code != http.StatusOK || f.snapshots != 4 {
		t.Errorf("after a failed read: %d, %d reads", rec.Code, f.snapshots)
	}
	if rec := h.do(t, "POST", "/api/stats", "{}"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", rec.Code)
	}
}

// A play is a stream.m3u8 answered for a ready track, a download a download answered; a count
// that fails never fails the listener's request.
func TestPlaysAndDownloadsCounted(t *testing.T) {
	h := newHarness(t)
	f := &fakeStats{}
	h.srv.Stats = f
	tr := h.readyTrack(t, goodBody, pageTags, false)
	h.blobs.PutBytes(tr.PlaylistKey, "application/vnd.apple.mpegurl", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nseg-00000.ts\n#EXT-X-ENDLIST\n"))
	for range 2 {
		if rec := h.do(t, "GET", "/api/tracks/"+tr.ID+"/stream.m3u8", ""); rec.Code != http.StatusOK {
			t.Fatalf("playlist = %d", rec.Code)
		}
	}
	if rec := h.do(t, "GET", "/api/tracks/"+tr.ID+"/download", ""); rec.Code != http.StatusOK {
		t.Fatalf("download = %d", rec.Code)
	}
	if rec := h.do(t, "GET", "/api/getdownloadurl?id="+tr.ID, ""); rec.Code != http.StatusOK {
		t.Fatalf("v1 download = %d", rec.Code)
	}
	// Not counted: a pending track's playlist, an unknown track's download.
	pending := h.create(t, goodBody)
	h.do(t, "GET", "/api/tracks/"+pending.ID+"/stream.m3u8", "")
	h.do(t, "GET", "/api/tracks/Nope00aa/download", "")
	if plays, downloads := f.counted(); plays != 2 || downloads != 2 {
		t.Errorf("counted %d plays and %d downloads, want 2 and 2", plays, downloads)
	}

	f.AddErr = errors.New("throttled")
	if rec := h.do(t, "GET", "/api/tracks/"+tr.ID+"/stream.m3u8", ""); rec.Code != http.StatusOK {
		t.Errorf("playlist with the counters failing = %d", rec.Code)
	}
	if !strings.Contains(h.logs.String(), "not counted") {
		t.Error("a failed count is not logged")
	}
}
