package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

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

// Pages: the server-rendered track page, the embeddable player and oEmbed (link previews).
func Pages(s *Server, mux *http.ServeMux) {
	mux.Handle("/t/{id}", methods{http.MethodGet: s.trackPage})
	mux.Handle("/t/{id}/cover", methods{http.MethodGet: s.coverRedirect})
	mux.Handle("/t/{id}/card", methods{http.MethodGet: s.cardImage})
	mux.Handle("/embed/{id}", methods{http.MethodGet: s.embedPage})
	mux.Handle("/oembed", methods{http.MethodGet: s.oembed})
}

// pageData is what the page templates show. URLs are template.URL because they are ours: the
// share links are built from BaseURL and a validated ID, and the media links come from our own
// signer; html/template still escapes them for the attribute, it only skips the scheme filter.
type pageData struct {
	ID                         string
	Title, Artist, Description string
	Duration                   string // m:ss, "" when unknown
	Status                     track.Status
	FailureMessage             string

	PageURL, EmbedURL, OEmbedURL template.URL
	CoverURL                     template.URL // the stable cover link of link previews
	Cover, Preview, Download     template.URL
	// Image is the link preview's picture (og:image, twitter:image): the cover or the card.
	Image linkImage

	Width, Height int
	Theme         *track.Theme // validated #rrggbb colours, nil for the app's own
	NoIndex       bool         // <meta name="robots" content="noindex">
	// ActivityURL is the Note of a public track, for <link rel="alternate">: pasting the share
	// link into a fediverse search finds the post. "" for other tracks or with federation off.
	ActivityURL template.URL

	CSS, Script string // the web app's stylesheet and the page's entry script
}

// pagePolicy is what a page's headers say besides its body: who may frame it, and whether search
// engines may index it.
type pagePolicy struct {
	// Embed is the player, which any page may frame: no frame-ancestors and no X-Frame-Options.
	// Link cards wrap players in sandboxed or srcdoc frames, whose opaque origin no
	// frame-ancestors source list matches, * included. Every other page refuses framing with
	// both headers.
	Embed bool
	// NoIndex keeps the page out of search engines (X-Robots-Tag; the HTML carries the meta).
	NoIndex bool
}

// The track page refuses to be framed; the player exists to be framed anywhere.
func (s *Server) trackPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, "page.html", trackJS, false)
}

func (s *Server) embedPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, "embed.html", embedJS, true)
}

// renderPage answers with the template named tmpl for the track in the path, or the not-found
// page. The HTML is whole without JavaScript (crawlers build link previews from it, and it plays
// the preview on its own); the web app's script then replaces #app with the player.
//
// Only the page of a public, ready track may be indexed: the others are shared by link only, and
// an unlisted link must not become findable. Embeds are never indexed (the track page is the
// thing to find).
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, tmpl, script string, embed bool) {
	pol := pagePolicy{Embed: embed}
	t, m, err := s.peek(r, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err, pol)
		return
	}
	pol.NoIndex = embed || !t.Public || t.Status != track.StatusReady
	d := s.pageData(t, m)
	d.Script = script
	d.NoIndex = pol.NoIndex
	var buf bytes.Buffer
	if err := templates().ExecuteTemplate(&buf, tmpl, d); err != nil {
		s.pageError(w, r, fmt.Errorf("httpapi: render page of %s: %w", t.ID, err), pol)
		return
	}
	// A ready page is the same for everyone for a while: a minute of shared caching absorbs a
	// burst of crawler fetches, and the signed URLs inside live MEDIA_URL_TTL (at least that).
	// Any other state is about to change.
	cache := "no-store"
	if t.Status == track.StatusReady {
		cache = "public, max-age=60"
	}
	s.writeHTML(w, http.StatusOK, cache, pol, buf.Bytes())
}

// peek reads a track and signs its media for the pages, the cover link and oEmbed: with Get,
// not Listen, because crawlers fetch these to build link previews, and a preview must not keep a
// track alive. Only listening (the API, the playlist, a download) slides the expiry.
func (s *Server) peek(r *http.Request, id string) (*track.Track, track.MediaURLs, error) {
	t, err := s.Tracks.Get(r.Context(), id)
	if err != nil {
		return nil, track.MediaURLs{}, err
	}
	m, err := s.Tracks.Media(r.Context(), t)
	return t, m, err
}

// pageError answers a page request with an HTML error page: 404 for a track that is not there,
// else 500 with the cause logged once here. The embed's error pages may be framed like the
// embed, so that a card says what happened instead of showing the browser's refusal.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error, pol pagePolicy) {
	if StatusFor(track.ErrorCode(err)) == http.StatusNotFound {
		s.pageNotFound(w, r, pol)
		return
	}
	s.logger(r).Error("request failed", slog.Any("error", err))
	s.writeErrorPage(w, http.StatusInternalServerError, pol, errorPage{
		Title: "Something went wrong", Message: "Soundtime could not show this page. Please try again in a moment."})
}

// pageNotFound is the HTML 404 of an unknown, expired or deleted track, and of any unknown page.
func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request, pol pagePolicy) {
	d := errorPage{Title: "Page not found", Message: "There is nothing at this address."}
	if strings.HasPrefix(r.URL.Path, "/t/") || strings.HasPrefix(r.URL.Path, "/embed/") {
		d.Title = "Track not found"
		d.Message = "This track does not exist or has expired: a track is deleted " +
			lifetime(s.Tracks.Config.Retention) + " after it was last played."
	}
	s.writeErrorPage(w, http.StatusNotFound, pol, d)
}

// lifetime says d in whole days, or hours under two days.
func lifetime(d time.Duration) string {
	if h := int(d.Hours()); h < 48 {
		return fmt.Sprintf("%d hours", max(h, 1))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

type errorPage struct {
	Title, Message string
	CSS            string
}

// writeErrorPage answers with an error page, which is never indexed.
func (s *Server) writeErrorPage(w http.ResponseWriter, status int, pol pagePolicy, d errorPage) {
	d.CSS = assetCSS
	pol.NoIndex = true
	var buf bytes.Buffer
	if err := templates().ExecuteTemplate(&buf, "error.html", d); err != nil {
		buf.Reset()
		buf.WriteString("internal error\n")
	}
	s.writeHTML(w, status, "no-store", pol, buf.Bytes())
}

func (s *Server) writeHTML(w http.ResponseWriter, status int, cache string, pol pagePolicy, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	if pol.Embed {
		h.Set("Content-Security-Policy", s.CSP(""))
	} else {
		h.Set("Content-Security-Policy", s.CSP("'none'"))
		h.Set("X-Frame-Options", "DENY")
	}
	if pol.NoIndex {
		h.Set("X-Robots-Tag", "noindex")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) pageData(t *track.Track, m track.MediaURLs) pageData {
	d := pageData{
		ID: t.ID, Title: displayTitle(t), Status: t.Status, CSS: assetCSS,
		PageURL:   template.URL(s.shareURL(t.ID)),
		EmbedURL:  template.URL(s.embedURL(t.ID)),
		OEmbedURL: template.URL(s.BaseURL + "/oembed?url=" + url.QueryEscape(s.shareURL(t.ID)) + "&format=json"),
		Cover:     template.URL(m.Cover), Preview: template.URL(m.Preview),
		CoverURL: template.URL(s.coverURL(t.ID)),
		Width:    PlayerWidth, Height: PlayerHeight,
		Image: s.linkImageOf(t, m),
	}
	if s.Fediverse != "" && t.Public && t.Status == track.StatusReady {
		d.ActivityURL = template.URL(s.BaseURL + "/ap/tracks/" + t.ID)
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
	if th := t.Theme; th != nil && m.Cover != "" && hexColour.MatchString(th.Background) &&
		hexColour.MatchString(th.Foreground) && hexColour.MatchString(th.Accent) {
		d.Theme = th
	}
	// The link goes through the download route, which signs the original (and counts as a
	// listen) only when someone follows it, never when the page is rendered. Only once the track
	// is ready: until processing has shown the file to be audio, it is offered to nobody.
	if t.Downloadable && t.Status == track.StatusReady {
		d.Download = template.URL(s.BaseURL + "/api/tracks/" + t.ID + "/download?redirect=1")
	}
	return d
}

// hexColour is the only form of colour a page inlines into its stylesheet.
var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// displayTitle is the tagged title, else the file name.
func displayTitle(t *track.Track) string {
	if t.Tags != nil && t.Tags.Title != "" {
		return t.Tags.Title
	}
	return t.Filename
}

func (s *Server) embedURL(id string) string { return s.BaseURL + "/embed/" + id }

// coverURL is a track's cover at a link that does not expire: link previews keep og:image and
// oEmbed's thumbnail_url long after a signed URL would have stopped working.
func (s *Server) coverURL(id string) string { return s.BaseURL + "/t/" + id + "/cover" }

// coverRedirect sends a fresh signed URL of the cover. Like the pages it reads without sliding
// the expiry, and its redirect is cacheable for a while that the signature outlives.
func (s *Server) coverRedirect(w http.ResponseWriter, r *http.Request) {
	_, m, err := s.peek(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.Cover == "" {
		s.writeError(w, r, track.Errorf(track.ENotFound, "this track has no cover"))
		return
	}
	maxAge := min(5*time.Minute, s.Tracks.Config.MediaURLTTL/2)
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())))
	http.Redirect(w, r, m.Cover, http.StatusFound)
}

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
	// The thumbnail comes with its size or not at all (oEmbed 1.0 §2.3.4), and only when it fits
	// within maxwidth and maxheight.
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
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
	width, height, maxW, maxH, fits, err := oembedSize(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, m, err := s.peek(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !fits {
		writeJSON(w, http.StatusNotImplemented, errorBody{Error: errorDetail{Code: ENotImplemented,
			Message: fmt.Sprintf("the player needs at least %d×%d pixels", MinPlayerWidth, PlayerHeight)}})
		return
	}
	title := displayTitle(t)
	o := oembedJSON{
		Version: "1.0", Type: "video",
		ProviderName: "Soundtime", ProviderURL: s.BaseURL,
		Title: title, Width: width, Height: height,
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" frameborder="0" allow="autoplay" title="%s"></iframe>`,
			html.EscapeString(s.embedURL(t.ID)), width, height, html.EscapeString(title)),
	}
	if img := s.linkImageOf(t, m); within(img.Width, img.Height, maxW, maxH) {
		o.ThumbnailURL, o.ThumbnailWidth, o.ThumbnailHeight = string(img.URL), img.Width, img.Height
	}
	if t.Tags != nil {
		o.AuthorName = t.Tags.Artist
	}
	writeJSON(w, http.StatusOK, o)
}

// templateFiles are the page templates: page.html (the track page), embed.html (the player),
// error.html (error pages) and head.html (what the first two share in their <head>).
//
//go:embed templates/*.html
var templateFiles embed.FS

// templates parses templateFiles once, on the first page rendered rather than at init: the
// functions that serve no pages import this package too. The files are part of the binary, so
// a parse error is a bug that any test rendering a page shows.
var templates = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(templateFiles, "templates/*.html"))
})
