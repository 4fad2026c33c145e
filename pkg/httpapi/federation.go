package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/track"
)

// Error codes of the federation routes.
const (
	EUnauthorized = "unauthorized"
	EBodyTooLarge = "body_too_large"
)

// Federation: WebFinger, NodeInfo and the ActivityPub routes (the federation function). With
// FEDERATION=false the group is not mounted and every one of these paths is a 404.
func Federation(fed *federation.Service) Group {
	return func(s *Server, mux *http.ServeMux) {
		h := &fedHandlers{s: s, fed: fed}
		// RFC 7033 §5: WebFinger answers carry Access-Control-Allow-Origin, so that web
		// clients on other origins can look accounts up (Mastodon's do).
		mux.Handle("/.well-known/webfinger", methods{http.MethodGet: anyOrigin(h.webfinger)})
		mux.Handle("/.well-known/nodeinfo", methods{http.MethodGet: h.nodeinfoLinks})
		mux.Handle("/nodeinfo/2.1", methods{http.MethodGet: h.nodeinfo})
		mux.Handle("/ap/actor", methods{http.MethodGet: h.actor})
		mux.Handle("/ap/outbox", methods{http.MethodGet: h.outbox})
		mux.Handle("/ap/followers", methods{http.MethodGet: h.followers})
		mux.Handle("/ap/following", methods{http.MethodGet: h.following})
		mux.Handle("/ap/tracks/{id}", methods{http.MethodGet: h.note})
		mux.Handle("/ap/tracks/{id}/activity", methods{http.MethodGet: h.create})
		mux.Handle("/ap/inbox", methods{http.MethodPost: h.inbox})
	}
}

type fedHandlers struct {
	s   *Server
	fed *federation.Service
}

// Version is the software version NodeInfo reports.
var Version = "dev"

func (h *fedHandlers) webfinger(w http.ResponseWriter, r *http.Request) {
	jrd, err := h.fed.WebFinger(r.URL.Query().Get("resource"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.JRDMediaType, "public, max-age=300", jrd)
}

func (h *fedHandlers) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	writeDoc(w, "application/json", "public, max-age=300", h.fed.NodeInfoDiscovery())
}

func (h *fedHandlers) nodeinfo(w http.ResponseWriter, r *http.Request) {
	ni, err := h.fed.NodeInfo(r.Context(), Version)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.NodeInfoMediaType21, "public, max-age=300", ni)
}

// wantsHTML reports whether a browser asked (Accept prefers text/html over any ActivityStreams
// type): it gets the human page instead of JSON.
func wantsHTML(r *http.Request) bool {
	accept := strings.ToLower(r.Header.Get("Accept"))
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "activity+json") && !strings.Contains(accept, "ld+json")
}

func (h *fedHandlers) actor(w http.ResponseWriter, r *http.Request) {
	if wantsHTML(r) {
		http.Redirect(w, r, h.s.BaseURL+"/", http.StatusFound)
		return
	}
	a, err := h.fed.Actor()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.MediaType, "public, max-age=300", a)
}

func (h *fedHandlers) outbox(w http.ResponseWriter, r *http.Request) {
	doc, err := h.fed.Outbox(r.Context(), r.URL.Query().Get("page"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.MediaType, "no-store", doc)
}

func (h *fedHandlers) followers(w http.ResponseWriter, r *http.Request) {
	doc, err := h.fed.FollowersCollection(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.MediaType, "no-store", doc)
}

func (h *fedHandlers) following(w http.ResponseWriter, r *http.Request) {
	writeDoc(w, activitypub.MediaType, "public, max-age=300", h.fed.FollowingCollection())
}

func (h *fedHandlers) note(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if wantsHTML(r) {
		http.Redirect(w, r, h.s.shareURL(id), http.StatusFound)
		return
	}
	n, err := h.fed.NoteOf(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.MediaType, "no-store", n)
}

func (h *fedHandlers) create(w http.ResponseWriter, r *http.Request) {
	c, err := h.fed.CreateOf(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeDoc(w, activitypub.MediaType, "no-store", c)
}

// inbox reads at most federation.MaxInboxBytes (a larger body is 413 before anything is
// parsed), verifies and acts (202), or refuses (401, 400).
func (h *fedHandlers) inbox(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > federation.MaxInboxBytes {
		h.tooLarge(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, federation.MaxInboxBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: track.EInvalidRequest, Message: "could not read the body"}})
		return
	}
	if len(body) > federation.MaxInboxBytes {
		h.tooLarge(w, r)
		return
	}
	// The signature covers the Host the sender addressed: our public host, whatever a proxy in
	// front (CloudFront, API Gateway) rewrote it to.
	r.Host = h.fed.Host()
	if err := h.fed.Inbox(r.Context(), r, body); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}

func (h *fedHandlers) tooLarge(w http.ResponseWriter, r *http.Request) {
	h.s.logger(r).Warn("inbox body too large refused")
	writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: errorDetail{Code: EBodyTooLarge, Message: "the body is over 1 MiB"}})
}

// fail answers a federation error: 404, 400 and 401 with the reason logged (never sent: it can
// quote a remote server's answer); anything else 500, logged once here.
func (h *fedHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	log := h.s.logger(r)
	switch {
	case errors.Is(err, federation.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: track.ENotFound, Message: "not found"}})
	case errors.Is(err, federation.ErrBadRequest):
		log.Info("federation request refused", slog.Any("error", err))
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: track.EInvalidRequest, Message: "not an activity, or a parameter is missing"}})
	case errors.Is(err, federation.ErrUnauthorized):
		log.Info("inbox request refused", slog.Any("error", err))
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{Code: EUnauthorized, Message: "the request is not signed as this server requires"}})
	default:
		log.Error("federation request failed", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: errorDetail{Code: track.EInternal, Message: "internal error"}})
	}
}

// writeDoc answers 200 with v as JSON of the given media type.
func writeDoc(w http.ResponseWriter, contentType, cache string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: errorDetail{Code: track.EInternal, Message: "internal error"}})
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
