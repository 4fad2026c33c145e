package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// benchHandler is the full handler over the fakes with the production clock, randomness and a
// JSON logger that discards, so the numbers include the middleware's logging cost. The issue's
// budget is 100 µs of CPU per request.
func benchHandler(b *testing.B) (http.Handler, *tracktest.MemStore) {
	b.Helper()
	store := tracktest.NewMemStore()
	svc := track.NewService(store, tracktest.NewMemBlobs(), testConfig)
	srv := &httpapi.Server{Tracks: svc, BaseURL: baseURL, Log: slog.New(slog.NewJSONHandler(discard{}, nil))}
	return srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads), store
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkCreate(b *testing.B) {
	h, store := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/tracks", strings.NewReader(goodBody))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status = %d: %s", rec.Code, rec.Body)
		}
	}
	if store.Len() == 0 {
		b.Fatal("nothing created")
	}
}

func BenchmarkGet(b *testing.B) {
	h, _ := benchHandler(b)
	req := httptest.NewRequest("POST", "/api/tracks", strings.NewReader(goodBody))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	id := rec.Header().Get("Location")[len("/api/tracks/"):]
	target := "/api/tracks/" + id
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkTrackPage renders the share page of a ready, tagged track with a cover: what a burst
// of crawler fetches costs per request before any cache (compare with BenchmarkGet).
func BenchmarkTrackPage(b *testing.B) {
	h := newPagesHarness(b)
	h.srv.Log = slog.New(slog.NewJSONHandler(discard{}, nil))
	h.handler = h.srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages)
	tr := h.readyTrack(b, goodBody, pageTags, true)
	target := "/t/" + tr.ID
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `og:title" content="Song"`) {
			b.Fatalf("status = %d: %s", rec.Code, rec.Body)
		}
	}
}
