package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/soundtime/soundtime/pkg/track"
)

// setJS is the set page's entry script (spa/src/set.tsx), a stable name like trackJS.
const setJS = "/assets/set.js"

// maxSetBody bounds a set request: 1,000 tracks of an ID and a 43-character token are about
// 80 kB of JSON.
const maxSetBody = 256 << 10

// Sets: sets of tracks behind one link, their API and their page (the track function, which
// reads and signs tracks the same way). Reading a set is open to any origin like reading a
// track; creating one is limited like starting uploads.
func Sets(s *Server, mux *http.ServeMux) {
	mux.Handle("/api/sets", methods{http.MethodPost: s.limited(s.createSet, s.writeError)})
	mux.Handle("/api/sets/{id}", methods{
		http.MethodGet: anyOrigin(s.getSet), http.MethodPut: s.replaceSet, http.MethodDelete: s.deleteSet,
	})
	mux.Handle("/s/{id}", methods{http.MethodGet: s.setPage})
}

// setRequestJSON mirrors track.SetRequest with pointers, so that a missing field
// (invalid_request) is told apart from an empty one (invalid_title, forbidden).
type setRequestJSON struct {
	Title  *string `json:"title"`
	Tracks *[]struct {
		ID          *string `json:"id"`
		DeleteToken *string `json:"deleteToken"`
	} `json:"tracks"`
}

func decodeSet(r *http.Request) (track.SetRequest, error) {
	if err := requireJSON(r); err != nil {
		return track.SetRequest{}, err
	}
	var body setRequestJSON
	if err := decodeJSON(r, maxSetBody, &body); err != nil {
		return track.SetRequest{}, err
	}
	var missing []string
	if body.Title == nil {
		missing = append(missing, "title")
	}
	if body.Tracks == nil {
		missing = append(missing, "tracks")
	}
	if len(missing) > 0 {
		return track.SetRequest{}, track.Errorf(track.EInvalidRequest, "missing field: %s", strings.Join(missing, ", "))
	}
	req := track.SetRequest{Title: *body.Title, Tracks: make([]track.SetEntry, len(*body.Tracks))}
	for i, e := range *body.Tracks {
		if e.ID == nil || e.DeleteToken == nil {
			return track.SetRequest{}, track.Errorf(track.EInvalidRequest, "tracks[%d] needs an id and a deleteToken", i)
		}
		req.Tracks[i] = track.SetEntry{ID: *e.ID, DeleteToken: *e.DeleteToken}
	}
	return req, nil
}

type setCreatedJSON struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	DeleteToken string `json:"deleteToken"`
	ExpiresAt   string `json:"expiresAt"`
}

// setJSON is a set as listeners see it: each track as GET /api/tracks/{id} shows it.
type setJSON struct {
	ID        string          `json:"id"`
	URL       string          `json:"url"`
	Title     string          `json:"title"`
	CreatedAt string          `json:"createdAt"`
	ExpiresAt string          `json:"expiresAt"`
	Tracks    []trackJSONBody `json:"tracks"`
}

func (s *Server) setURL(id string) string { return s.BaseURL + "/s/" + id }

func (s *Server) createSet(w http.ResponseWriter, r *http.Request) {
	req, err := decodeSet(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Sets.Create(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/sets/"+c.Set.ID)
	writeJSON(w, http.StatusCreated, setCreatedJSON{
		ID: c.Set.ID, URL: s.setURL(c.Set.ID), DeleteToken: c.DeleteToken, ExpiresAt: rfc3339(c.ExpiresAt),
	})
}

func (s *Server) getSet(w http.ResponseWriter, r *http.Request) {
	v, err := s.Sets.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSet(w, r, v)
}

func (s *Server) replaceSet(w http.ResponseWriter, r *http.Request) {
	token, _ := bearer(r)
	req, err := decodeSet(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.Sets.Replace(r.Context(), r.PathValue("id"), token, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSet(w, r, v)
}

func (s *Server) deleteSet(w http.ResponseWriter, r *http.Request) {
	token, _ := bearer(r)
	if err := s.Sets.Delete(r.Context(), r.PathValue("id"), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// compressFrom is the number of tracks from which a set's answer goes gzipped to a client that
// accepts it. Each track carries three signed URLs, and a URL signed with a Lambda role's
// credentials carries its session token (about 1 kB): 1,000 tracks come to about 5 MB, near the
// 6 MB a Lambda function may answer API Gateway with, where gzip makes them about a tenth (the
// token repeats). docs/benchmarks.md has the numbers.
const compressFrom = 50

// gzipWriter compresses what a handler writes; Close flushes it.
type gzipWriter struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g *gzipWriter) WriteHeader(status int) {
	h := g.Header()
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) { return g.zw.Write(b) }

// acceptsGzip reports whether the request's Accept-Encoding allows gzip (a q of 0 refuses it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q=")
		if !ok {
			return true
		}
		f, err := strconv.ParseFloat(q, 64)
		return err == nil && f > 0
	}
	return false
}

// writeSet answers with a set and its tracks' signed media, which are personal to the answer:
// nothing caches it.
func (s *Server) writeSet(w http.ResponseWriter, r *http.Request, v *track.SetView) {
	body := setJSON{
		ID: v.Set.ID, URL: s.setURL(v.Set.ID), Title: v.Set.Title,
		CreatedAt: rfc3339(v.Set.CreatedAt), ExpiresAt: rfc3339(v.ExpiresAt),
		Tracks: make([]trackJSONBody, len(v.Tracks)),
	}
	for i, t := range v.Tracks {
		m, err := s.Tracks.Media(r.Context(), t)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		body.Tracks[i] = s.trackJSON(t, m)
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if len(v.Tracks) >= compressFrom && acceptsGzip(r) {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer zw.Close()
		w = &gzipWriter{ResponseWriter: w, zw: zw}
	}
	writeJSON(w, http.StatusOK, body)
}

// setPageData is what set.html shows.
type setPageData struct {
	ID, Title, Description string
	Count                  int
	Duration               string // the whole set, h:mm:ss or m:ss; "" when unknown
	PageURL                template.URL
	CoverURL               template.URL // og:image: the stable cover link of the first track with one
	Tracks                 []setPageTrack
	NoIndex                bool
	// Processing: a track is still pending or processing; without JavaScript the page
	// refreshes itself, as a processing track's page does.
	Processing  bool
	CSS, Script string
	Theme       *track.Theme
	// Image is the link preview's picture: the cover of the first track with one, else the
	// first track's card.
	Image linkImage
}

type setPageTrack struct {
	ID, Title, Artist, Duration string
	Status                      track.Status
	PageURL, Cover              template.URL
}

// setPage renders /s/{id}: whole without JavaScript (the list, each track linking to its page,
// the og:* tags of the set), then set.js replaces #app with the player. Reading it never slides
// an expiry. It is never indexed: a set may list tracks that are shared by link only.
func (s *Server) setPage(w http.ResponseWriter, r *http.Request) {
	pol := pagePolicy{NoIndex: true}
	v, err := s.Sets.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.setPageError(w, r, err, pol)
		return
	}
	d := setPageData{
		ID: v.Set.ID, Title: v.Set.Title, Count: len(v.Tracks),
		PageURL: template.URL(s.setURL(v.Set.ID)), NoIndex: true, CSS: assetCSS, Script: setJS,
	}
	ready := true
	artists := map[string]bool{}
	var total float64
	for _, t := range v.Tracks {
		m, err := s.Tracks.Media(r.Context(), t)
		if err != nil {
			s.setPageError(w, r, err, pol)
			return
		}
		pd := s.pageData(t, m)
		d.Tracks = append(d.Tracks, setPageTrack{
			ID: t.ID, Title: pd.Title, Artist: pd.Artist, Duration: pd.Duration, Status: t.Status,
			PageURL: pd.PageURL, Cover: pd.Cover,
		})
		if d.CoverURL == "" && m.Cover != "" {
			d.CoverURL, d.Theme, d.Image = pd.CoverURL, pd.Theme, pd.Image
		}
		if d.Image.URL == "" {
			d.Image = pd.Image
		}
		ready = ready && t.Status == track.StatusReady
		artists[pd.Artist] = true
		total += t.Duration
	}
	d.Processing = !ready && slices.ContainsFunc(v.Tracks, func(t *track.Track) bool {
		return t.Status == track.StatusPending || t.Status == track.StatusProcessing
	})
	d.Duration = clock(total)
	d.Description = setDescription(len(v.Tracks), artists, d.Duration)
	var buf bytes.Buffer
	if err := templates().ExecuteTemplate(&buf, "set.html", d); err != nil {
		s.setPageError(w, r, fmt.Errorf("httpapi: render set %s: %w", v.Set.ID, err), pol)
		return
	}
	cache := "no-store"
	if ready {
		cache = "public, max-age=60" // as a ready track's page: a burst of link previews
	}
	s.writeHTML(w, http.StatusOK, cache, pol, buf.Bytes())
}

// setDescription says how many tracks, by whom when it is one artist, and how long.
func setDescription(n int, artists map[string]bool, duration string) string {
	parts := []string{strconv.Itoa(n) + " tracks"}
	if n == 1 {
		parts[0] = "1 track"
	}
	if len(artists) == 1 {
		for a := range artists {
			if a != "" {
				parts = append(parts, a)
			}
		}
	}
	if duration != "" {
		parts = append(parts, duration)
	}
	return strings.Join(parts, " · ")
}

// clock renders seconds as h:mm:ss, or m:ss under an hour; "" for nothing.
func clock(secs float64) string {
	n := int(math.Round(secs))
	if n <= 0 {
		return ""
	}
	if n >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", n/3600, n/60%60, n%60)
	}
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

// setPageError is pageError for the set page: the not-found page says what a set is.
func (s *Server) setPageError(w http.ResponseWriter, r *http.Request, err error, pol pagePolicy) {
	if StatusFor(track.ErrorCode(err)) != http.StatusNotFound {
		s.pageError(w, r, err, pol)
		return
	}
	s.writeErrorPage(w, http.StatusNotFound, pol, errorPage{
		Title:   "Set not found",
		Message: "This set does not exist, was deleted, or all of its tracks have expired.",
	})
}
