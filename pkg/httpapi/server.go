// Package httpapi serves Soundtime's HTTP API (docs/api.md) with net/http. Each Lambda function mounts
// the route group it has the permissions for; the local runner mounts them all on one origin.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/track"
)

// Server holds what the handlers need.
type Server struct {
	Tracks  *track.Service
	BaseURL string // PUBLIC_BASE_URL, no trailing slash
	Log     *slog.Logger
	// Health reports whether storage and table answer; nil means healthy.
	Health func(context.Context) error
	// Limit, when set, rate-limits starting uploads per client (429 rate_limited).
	Limit Limiter
	// OriginSecret, when set (in AWS), is the value CloudFront puts in OriginVerifyHeader:
	// requests without it did not come through the distribution (someone called the API
	// Gateway URL directly) and are refused, and the viewer's address is read from
	// ViewerAddressHeader. Empty (the local runner): viewers connect directly.
	OriginSecret string
	// Fediverse is the account that announces public tracks (@tracks@host), "" with federation
	// off: pages link a public track's ActivityPub Note, and the web app shows whom to follow.
	Fediverse string
	// MaxDuration is the longest track processing accepts (MAX_DURATION), told to the upload page.
	MaxDuration time.Duration
	// MediaOrigin is the origin of the signed media URLs (the bucket's endpoint), allowed by the
	// pages' Content-Security-Policy; "" allows only this origin.
	MediaOrigin string
	// Stats, when set, serves /api/stats and counts plays and downloads.
	Stats      Stats
	statsCache statsCache
	// Metrics, when set, records uploads started, plays and downloads as CloudWatch metrics.
	Metrics *metrics.Emitter
	// Sets keeps sets of tracks, for the Sets routes.
	Sets *track.Sets
}

// Group is a set of routes that one function serves.
type Group func(s *Server, mux *http.ServeMux)

// Uploads: starting an upload, and the parts of a multipart one (the upload function). Only
// starting counts against the per-viewer limit: the calls of an upload under way are bounded by
// its plan and need its delete token.
func Uploads(s *Server, mux *http.ServeMux) {
	mux.Handle("/api/tracks", methods{http.MethodPost: s.limited(s.createTrack, s.writeError)})
	mux.Handle("/api/tracks/{id}/parts", methods{http.MethodGet: s.listParts, http.MethodPost: s.signParts})
	mux.Handle("/api/tracks/{id}/complete", methods{http.MethodPost: s.completeUpload})
	mux.Handle("/api/getuploadurl", s.v1Methods(methods{http.MethodGet: s.limited(s.v1GetUploadURL, s.v1Error)}))
	mux.Handle("/api/config", methods{http.MethodGet: s.config})
}

// Tracks: reading and deleting tracks, and the statistics (the track function). The player
// reads a track and its playlist from any origin: the embed runs in other sites' frames.
func Tracks(s *Server, mux *http.ServeMux) {
	mux.Handle("/api/tracks/{id}", methods{http.MethodGet: anyOrigin(s.getTrack), http.MethodDelete: s.deleteTrack})
	mux.Handle("/api/tracks/{id}/stream.m3u8", methods{http.MethodGet: anyOrigin(s.playlist)})
	mux.Handle("/api/gettrackinfo", s.v1Methods(methods{http.MethodGet: s.v1GetTrackInfo}))
	mux.Handle("/healthz", methods{http.MethodGet: s.healthz})
	mux.Handle("/api/stats", methods{http.MethodGet: anyOrigin(s.stats)})
}

// Downloads: signing originals (the download function).
func Downloads(s *Server, mux *http.ServeMux) {
	mux.Handle("/api/tracks/{id}/download", methods{http.MethodGet: s.download})
	mux.Handle("/api/getdownloadurl", s.v1Methods(methods{http.MethodGet: s.v1GetDownloadURL}))
}

// anyOrigin lets a page on any origin read h's answers, errors included, without credentials.
// The embedded player runs inside other sites' frames, and link cards sandbox it into an opaque
// origin (it then sends Origin: null), so no list of origins would do. Only for GET routes that
// reveal what the share link already shows: no cookie or token authorises anything here, and a
// route that changes something never gets it (a preflight for DELETE finds no
// Access-Control-Allow-Origin and the browser stops).
func anyOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}

// Handler returns the routes of groups behind the common middleware: request IDs, access logs,
// panic recovery, JSON 404s and case-insensitive v1 paths.
func (s *Server) Handler(groups ...Group) http.Handler {
	mux := http.NewServeMux()
	for _, g := range groups {
		g(s, mux)
	}
	mux.Handle("/api/", http.HandlerFunc(s.notFound))
	return s.middleware(mux)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: track.ENotFound, Message: "no such endpoint"}})
}

// methods dispatches on the request method and answers others with a JSON 405, which the
// ServeMux's own method patterns would answer in plain text.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.serve(w, r, func(w http.ResponseWriter, _ *http.Request, err error) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: EMethodNotAllowed, Message: track.ErrorMessage(err)}})
	})
}

// v1Methods is methods for a Soundtime v1 route: a wrong method is answered in v1's error shape.
func (s *Server) v1Methods(m methods) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, s.v1Error) })
}

// serve calls the handler of r's method (GET's for HEAD), or answers 405 with an Allow header
// and a body that fail writes.
func (m methods) serve(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error)) {
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if !ok {
		allow := make([]string, 0, len(m))
		for k := range m {
			allow = append(allow, k)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		fail(w, r, track.Errorf(EMethodNotAllowed, "%s is not allowed here", r.Method))
		return
	}
	h(w, r)
}

type ctxKey struct{}

// RequestIDHeader carries a request ID set by a proxy (API Gateway's, through pkg/apigw): the one
// name both sides use.
const RequestIDHeader = apigw.RequestIDHeader

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if id == "" || len(id) > 128 {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(RequestIDHeader, id)
		// Whatever the API answers (JSON, a playlist, a redirect, an error) is no page for a
		// search engine: a track's ID in an indexed URL would make an unlisted link findable.
		if strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/") {
			w.Header().Set("X-Robots-Tag", "noindex")
		}
		log := s.Log.With(slog.String("requestId", id))
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, log))
		// Soundtime v1 clients call /api/getUploadURL and friends in any case.
		if p := strings.ToLower(r.URL.Path); strings.HasPrefix(p, "/api/get") {
			r.URL.Path, r.URL.RawPath = p, ""
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if !s.fromOrigin(r) {
			// Nothing behind the distribution is served to whoever found the origin's URL: its
			// limits, caching and headers would be bypassed.
			log.Warn("request without the origin secret refused", slog.String("path", r.URL.Path))
			s.writeError(rec, r, track.Errorf(track.EForbidden, "this address serves requests through the site only"))
			return
		}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if !rec.wrote {
					s.writeError(rec, r, track.Errorf(track.EInternal, "internal error"))
				}
			}
			// The path, not the URL: query strings can carry file names and MD5s.
			log.Info("request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return s.Log
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
