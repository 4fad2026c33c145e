package httpapi

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/soundtime/soundtime/pkg/track"
)

// The size of the embedded player, as announced in twitter:player:* and oEmbed.
const (
	PlayerWidth  = 480
	PlayerHeight = 166
)

// ENotImplemented answers an oEmbed request for a format other than JSON (oEmbed 1.0 §2.3.4 asks
// for 501). It is local to the pages: no other route can produce it.
const ENotImplemented = "not_implemented"

// Content-Security-Policies of the pages. They carry no script at all, so none is allowed; the
// track page refuses to be framed, while the player exists to be framed anywhere.
const (
	pageCSP  = "default-src 'none'; img-src * data:; media-src *; style-src 'unsafe-inline'; frame-ancestors 'none'"
	embedCSP = "default-src 'none'; img-src * data:; media-src *; style-src 'unsafe-inline'; frame-ancestors *"
)

// Pages: the server-rendered track page, the embeddable player and oEmbed (link previews).
func Pages(s *Server, mux *http.ServeMux) {
	mux.Handle("/t/{id}", methods{http.MethodGet: s.trackPage})
	mux.Handle("/embed/{id}", methods{http.MethodGet: s.embedPage})
	mux.Handle("/oembed", methods{http.MethodGet: s.oembed})
}

// pageData is what the page templates show. URLs are template.URL because they are ours: the
// share links are built from BaseURL and a validated ID, and the media links come from our own
// signer; html/template still escapes them for the attribute, it only skips the scheme filter.
type pageData struct {
	Title, Artist, Description string
	Duration                   string // m:ss, "" when unknown
	Status                     track.Status
	FailureMessage             string

	PageURL, EmbedURL, OEmbedURL template.URL
	Cover, Preview, Download     template.URL

	Width, Height int
}

func (s *Server) trackPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, pageTmpl, pageCSP)
}

func (s *Server) embedPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, embedTmpl, embedCSP)
}

// renderPage answers with tmpl for the track in the path, or the not-found page.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, tmpl *template.Template, csp string) {
	// Get, not Listen: crawlers fetch these pages to build link previews, and a preview must not
	// keep a track alive. Only listening (the API, the playlist, a download) slides the expiry.
	t, err := s.Tracks.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err, csp)
		return
	}
	m, err := s.Tracks.Media(r.Context(), t)
	if err != nil {
		s.pageError(w, r, err, csp)
		return
	}
	d := s.pageData(t, m)
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, d); err != nil {
		s.pageError(w, r, fmt.Errorf("httpapi: render page of %s: %w", t.ID, err), csp)
		return
	}
	// A ready page is the same for everyone for a while: a minute of shared caching absorbs a
	// burst of crawler fetches, and the signed URLs inside live MEDIA_URL_TTL (at least that).
	// Any other state is about to change.
	cache := "no-store"
	if t.Status == track.StatusReady {
		cache = "public, max-age=60"
	}
	writeHTML(w, http.StatusOK, cache, csp, buf.Bytes())
}

// pageError answers a page request with an HTML error page: 404 for a track that is not there,
// else 500 with the cause logged once here.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error, csp string) {
	status := StatusFor(track.ErrorCode(err))
	d := struct{ Title, Message string }{"Not found", "This track does not exist or has expired."}
	if status != http.StatusNotFound {
		status = http.StatusInternalServerError
		d.Title, d.Message = "Error", "Something went wrong. Please try again later."
		s.logger(r).Error("request failed", slog.String("error", err.Error()))
	}
	var buf bytes.Buffer
	if err := errorTmpl.Execute(&buf, d); err != nil {
		buf.Reset()
		buf.WriteString("internal error\n")
	}
	writeHTML(w, status, "no-store", csp, buf.Bytes())
}

func writeHTML(w http.ResponseWriter, status int, cache, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) pageData(t *track.Track, m track.MediaURLs) pageData {
	d := pageData{
		Title: displayTitle(t), Status: t.Status,
		PageURL:   template.URL(s.shareURL(t.ID)),
		EmbedURL:  template.URL(s.embedURL(t.ID)),
		OEmbedURL: template.URL(s.BaseURL + "/oembed?url=" + url.QueryEscape(s.shareURL(t.ID)) + "&format=json"),
		Cover:     template.URL(m.Cover), Preview: template.URL(m.Preview),
		Width: PlayerWidth, Height: PlayerHeight,
	}
	var parts []string
	if g := t.Tags; g != nil {
		d.Artist = g.Artist
		for _, p := range []string{g.Artist, g.Album} {
			if p != "" {
				parts = append(parts, p)
			}
		}
	}
	d.Description = strings.Join(parts, " — ")
	if d.Description == "" {
		d.Description = "Listen on Soundtime"
	}
	if t.Duration > 0 {
		secs := int(math.Round(t.Duration))
		d.Duration = fmt.Sprintf("%d:%02d", secs/60, secs%60)
	}
	if t.Status == track.StatusFailed {
		d.FailureMessage = t.FailureMessage
	}
	// The link goes through the download route, which signs the original (and counts as a
	// listen) only when someone follows it, never when the page is rendered.
	if t.Downloadable && (t.Status == track.StatusReady || t.Status == track.StatusProcessing) {
		d.Download = template.URL(s.BaseURL + "/api/tracks/" + t.ID + "/download?redirect=1")
	}
	return d
}

// displayTitle is the tagged title, else the file name.
func displayTitle(t *track.Track) string {
	if t.Tags != nil && t.Tags.Title != "" {
		return t.Tags.Title
	}
	return t.Filename
}

func (s *Server) embedURL(id string) string { return s.BaseURL + "/embed/" + id }

// oembedJSON is an oEmbed 1.0 "video" response: the rich player is an iframe of /embed/{id}.
type oembedJSON struct {
	Version      string `json:"version"`
	Type         string `json:"type"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	Title        string `json:"title"`
	AuthorName   string `json:"author_name,omitempty"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	HTML         string `json:"html"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
}

func (s *Server) oembed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		writeJSON(w, http.StatusNotImplemented, errorBody{Error: errorDetail{Code: ENotImplemented, Message: "only format=json is supported"}})
		return
	}
	// Only our own track pages, on our own origin, exactly: anything else is not ours to embed.
	id, ok := strings.CutPrefix(q.Get("url"), s.BaseURL+"/t/")
	if !ok || strings.ContainsAny(id, "/?#") {
		s.writeError(w, r, track.ErrNotFound)
		return
	}
	t, err := s.Tracks.Get(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.Tracks.Media(r.Context(), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	title := displayTitle(t)
	o := oembedJSON{
		Version: "1.0", Type: "video",
		ProviderName: "Soundtime", ProviderURL: s.BaseURL,
		Title: title, Width: PlayerWidth, Height: PlayerHeight,
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" frameborder="0" allow="autoplay" title="%s"></iframe>`,
			html.EscapeString(s.embedURL(t.ID)), PlayerWidth, PlayerHeight, html.EscapeString(title)),
		ThumbnailURL: m.Cover,
	}
	if t.Tags != nil {
		o.AuthorName = t.Tags.Artist
	}
	writeJSON(w, http.StatusOK, o)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Soundtime</title>
{{- if or (eq .Status "pending") (eq .Status "processing")}}
<meta http-equiv="refresh" content="5">
{{- end}}
<meta property="og:title" content="{{.Title}}">
<meta property="og:description" content="{{.Description}}">
{{- if .Cover}}
<meta property="og:image" content="{{.Cover}}">
{{- end}}
<meta property="og:type" content="music.song">
<meta property="og:url" content="{{.PageURL}}">
<meta property="og:site_name" content="Soundtime">
<meta name="twitter:card" content="player">
<meta name="twitter:title" content="{{.Title}}">
<meta name="twitter:player" content="{{.EmbedURL}}">
<meta name="twitter:player:width" content="{{.Width}}">
<meta name="twitter:player:height" content="{{.Height}}">
<link rel="alternate" type="application/json+oembed" href="{{.OEmbedURL}}" title="{{.Title}}">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}img{max-width:100%;border-radius:.5rem}</style>
</head>
<body>
<main>
{{- if .Cover}}
<img src="{{.Cover}}" alt="">
{{- end}}
<h1>{{.Title}}</h1>
{{- if .Artist}}
<p class="artist">{{.Artist}}</p>
{{- end}}
{{- if .Duration}}
<p class="duration">{{.Duration}}</p>
{{- end}}
{{- if or (eq .Status "pending") (eq .Status "processing")}}
<p class="status">Processing…, this page refreshes</p>
{{- else if eq .Status "failed"}}
<p class="status">{{.FailureMessage}}</p>
{{- end}}
{{- if .Preview}}
<audio controls preload="none" src="{{.Preview}}"></audio>
{{- end}}
{{- if .Download}}
<p><a href="{{.Download}}">Download</a></p>
{{- end}}
</main>
</body>
</html>
`))

var embedTmpl = template.Must(template.New("embed").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} · Soundtime</title>
<style>body{margin:0;font-family:system-ui,sans-serif;display:flex;gap:.75rem;align-items:center;height:{{.Height}}px;padding:0 .75rem;box-sizing:border-box;overflow:hidden}img{width:120px;height:120px;object-fit:cover;border-radius:.25rem}div{min-width:0;flex:1}h1{font-size:1rem;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}p{margin:.25rem 0}audio{width:100%}</style>
</head>
<body>
{{- if .Cover}}
<img src="{{.Cover}}" alt="">
{{- end}}
<div>
<h1>{{.Title}}</h1>
{{- if .Artist}}
<p>{{.Artist}}</p>
{{- end}}
{{- if .Preview}}
<audio controls preload="none" src="{{.Preview}}"></audio>
{{- end}}
<p><a href="{{.PageURL}}" target="_blank" rel="noopener">Open on Soundtime</a></p>
</div>
</body>
</html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} · Soundtime</title>
</head>
<body>
<p>{{.Message}}</p>
</body>
</html>
`))
