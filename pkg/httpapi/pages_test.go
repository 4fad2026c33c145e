package httpapi_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

// newPagesHarness is the harness with the page routes mounted too.
func newPagesHarness(t testing.TB) *harness {
	t.Helper()
	h := newHarness(t)
	h.handler = h.srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages)
	return h
}

var pageTheme = track.Theme{Background: "#1a2b3c", Foreground: "#fafafa", Accent: "#ff8800"}

var pageTags = track.Tags{Title: "Song", Artist: "Band", Album: "Live", Year: 2019}

// readyTrack makes a track ready the way processing does: upload, then Begin and Finish.
func (h *harness) readyTrack(t testing.TB, body string, tags track.Tags, cover bool) *track.Track {
	t.Helper()
	tr, _ := h.readyCreated(t, body, tags, cover)
	return tr
}

// readyCreated is readyTrack that also returns the answer to the upload's start (its token).
func (h *harness) readyCreated(t testing.TB, body string, tags track.Tags, cover bool) (*track.Track, created) {
	t.Helper()
	c := h.create(t, body)
	up := h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
	ctx := context.Background()
	tr, err := h.svc.Begin(ctx, up)
	if err != nil {
		t.Fatalf("Begin = %v, %v", tr, err)
	}
	p := track.Processing{Duration: 241.37, Audio: track.Audio{Codec: "mp3"}, Tags: tags}
	if cover {
		p.CoverType, p.CoverExt = "image/jpeg", "jpg"
		p.CoverWidth, p.CoverHeight = 600, 500
		p.Theme = &pageTheme
	} else {
		p.Card = true
	}
	done, err := h.svc.Finish(ctx, tr, p)
	if err != nil {
		t.Fatalf("Finish = %v, %v", done, err)
	}
	return done, c
}

// pageAttr returns the unescaped value of attribute name of the first tag matching open (a regexp of
// the tag's start, e.g. `<meta property="og:title"`), and whether there is one.
func pageAttr(body, open, name string) (string, bool) {
	re := regexp.MustCompile(open + `[^>]*?\s` + regexp.QuoteMeta(name) + `="([^"]*)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func pageMeta(body, key string) (string, bool) {
	return pageAttr(body, `<meta (?:property|name)="`+regexp.QuoteMeta(key)+`"`, "content")
}

// wantPageHTML checks the headers every page has. embed is the player, which anyone may frame:
// it sends no frame-ancestors and no X-Frame-Options (a sandboxed or srcdoc frame's opaque origin
// matches no frame-ancestors source, not even *); every other page refuses framing with both.
func wantPageHTML(t testing.TB, rec *httptest.ResponseRecorder, status int, cache string, embed bool) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d", rec.Code, status)
	}
	hd := rec.Header()
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          cache,
		"X-Content-Type-Options": "nosniff",
	} {
		if got := hd.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := hd.Get("Content-Security-Policy")
	// Scripts from this origin only: nothing inline, no eval (WebAssembly may be compiled).
	for _, d := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval';", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy = %q, want %s", csp, d)
		}
	}
	if embed {
		if strings.Contains(csp, "frame-ancestors") {
			t.Errorf("the embed's Content-Security-Policy = %q has frame-ancestors", csp)
		}
		if xfo, ok := hd["X-Frame-Options"]; ok {
			t.Errorf("the embed sends X-Frame-Options %q", xfo)
		}
	} else {
		if !strings.HasSuffix(csp, "; frame-ancestors 'none'") || strings.Count(csp, "frame-ancestors") != 1 {
			t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", csp)
		}
		if xfo := hd.Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("X-Frame-Options = %q, want DENY", xfo)
		}
	}
	// The script sources are exactly these: this origin, and WebAssembly compilation (never
	// 'unsafe-eval', which would also allow JavaScript's eval).
	var scripts []string
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" {
			scripts = append(scripts, strings.Join(f[1:], " "))
		}
	}
	if len(scripts) != 1 || scripts[0] != "'self' 'wasm-unsafe-eval'" {
		t.Errorf("Content-Security-Policy = %q: script-src %q, want exactly 'self' 'wasm-unsafe-eval'", csp, scripts)
	}
	if b := rec.Body.String(); !strings.HasPrefix(b, "<!doctype html>") {
		t.Errorf("body does not start with a doctype: %.80q", b)
	}
}

func TestTrackPageReady(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	rec := h.do(t, "GET", "/t/"+tr.ID, "")
	wantPageHTML(t, rec, http.StatusOK, "public, max-age=60", false)
	body := rec.Body.String()

	page, embed := baseURL+"/t/"+tr.ID, baseURL+"/embed/"+tr.ID
	want := map[string]string{
		"og:title":              "Song",
		"og:description":        "Band — Live",
		"og:type":               "music.song",
		"og:url":                page,
		"twitter:card":          "player",
		"twitter:player":        embed,
		"twitter:player:width":  "480",
		"twitter:player:height": "166",
	}
	for k, v := range want {
		if got, ok := pageMeta(body, k); got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	// Link previews get the stable cover link: a signed URL would die in MEDIA_URL_TTL.
	if img, _ := pageMeta(body, "og:image"); img != baseURL+"/t/"+tr.ID+"/cover" {
		t.Errorf("og:image = %q, want the stable cover link", img)
	}
	if !strings.Contains(body, "<title>Song") {
		t.Errorf("no <title> with the track's title in %s", body)
	}

	href, ok := pageAttr(body, `<link rel="alternate" type="application/json\+oembed"`, "href")
	if !ok {
		t.Fatalf("no oEmbed link in %s", body)
	}
	u, err := url.Parse(href)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != baseURL+"/oembed" || u.Query().Get("url") != page || u.Query().Get("format") != "json" {
		t.Errorf("oEmbed link = %q (%v)", href, err)
	}
	if raw := regexp.MustCompile(`json\+oembed" href="([^"]*)"`).FindStringSubmatch(body); raw == nil || strings.Contains(strings.ReplaceAll(raw[1], "&amp;", ""), "&") {
		t.Errorf("oEmbed link is not escaped for the attribute: %v", raw)
	}

	if src, _ := pageAttr(body, `<img`, "src"); !strings.HasPrefix(src, "mem://bucket/"+tr.CoverKey+"?") {
		t.Errorf("cover <img> src = %q, want a signed URL of %s", src, tr.CoverKey)
	}
	if src, _ := pageAttr(body, `<audio controls preload="none"`, "src"); !strings.Contains(src, tr.PreviewKey) {
		t.Errorf("<audio> src = %q, want a signed URL of %s", src, tr.PreviewKey)
	}
	if dl, _ := pageAttr(body, `<a`, "href"); dl != baseURL+"/api/tracks/"+tr.ID+"/download?redirect=1" {
		t.Errorf("download link = %q", dl)
	}
	for _, s := range []string{">Band<", ">4:01<", ">Download<"} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	if strings.Contains(body, `http-equiv="refresh"`) {
		t.Error("a ready page refreshes")
	}
}

func TestTrackPageFallbacks(t *testing.T) {
	h := newPagesHarness(t)
	// No tags and no cover: the file name is the title, and og:image is the card, not a cover.
	tr := h.readyTrack(t, goodBody, track.Tags{}, false)
	body := h.do(t, "GET", "/t/"+tr.ID, "").Body.String()
	if got, _ := pageMeta(body, "og:title"); got != "Song (live).mp3" {
		t.Errorf("og:title = %q, want the file name", got)
	}
	if got, _ := pageMeta(body, "og:description"); got != "Listen on Soundtime" {
		t.Errorf("og:description = %q", got)
	}
	if img, _ := pageMeta(body, "og:image"); img != baseURL+"/t/"+tr.ID+"/card" || strings.Contains(body, "<img") {
		t.Errorf("a page without a cover: og:image %q, or an <img>", img)
	}
}

func TestPagesEscape(t *testing.T) {
	const evil = `</title><script>alert("x")</script> "quoted" & more`
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, track.Tags{Title: evil, Artist: `<b>"A&B"</b>`}, true)
	for _, p := range []string{"/t/", "/embed/"} {
		rec := h.do(t, "GET", p+tr.ID, "")
		body := rec.Body.String()
		for _, bad := range []string{`"quoted"`, "<b>", "</title><"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: raw %q in the page", p, bad)
			}
		}
		// The only script is the app's own.
		if scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1); len(scripts) != 1 ||
			!regexp.MustCompile(`^<script type="module" src="/assets/(track|embed)\.js">$`).MatchString(scripts[0]) {
			t.Errorf("%s: scripts %q, want only the app's entry", p, scripts)
		}
		if !strings.Contains(body, html.EscapeString(evil)) && !strings.Contains(body, "&lt;/title&gt;&lt;script&gt;") {
			t.Errorf("%s: escaped title missing from %s", p, body)
		}
	}
	body := h.do(t, "GET", "/t/"+tr.ID, "").Body.String()
	if got, _ := pageMeta(body, "og:title"); got != evil {
		t.Errorf("og:title = %q, want %q", got, evil)
	}

	rec := h.do(t, "GET", "/oembed?url="+url.QueryEscape(baseURL+"/t/"+tr.ID)+"&format=json", "")
	m := decodeObject(t, rec)
	if m["title"] != evil {
		t.Errorf("oEmbed title = %q, want %q", m["title"], evil)
	}
	iframe, _ := m["html"].(string)
	if strings.Contains(iframe, "<script") || strings.Count(iframe, "<") != 2 {
		t.Errorf("oEmbed html = %q", iframe)
	}
	if got, _ := pageAttr(iframe, "<iframe", "title"); got != evil {
		t.Errorf("iframe title = %q, want %q", got, evil)
	}
}

func TestPagesNotFound(t *testing.T) {
	h := newPagesHarness(t)
	expired := h.readyTrack(t, goodBody, pageTags, false)
	h.clock.Advance(testConfig.Retention + time.Second)
	for _, id := range []string{"AAAAAAAA", "ab", "no-such_id", expired.ID} {
		for _, p := range []struct {
			prefix string
			embed  bool
		}{{"/t/", false}, {"/embed/", true}} {
			rec := h.do(t, "GET", p.prefix+id, "")
			// The embed's own not-found page may be framed, so that a card says what happened.
			wantPageHTML(t, rec, http.StatusNotFound, "no-store", p.embed)
			wantNoIndex(t, rec, true)
			if !strings.Contains(rec.Body.String(), "does not exist") {
				t.Errorf("GET %s%s: body %s", p.prefix, id, rec.Body)
			}
		}
	}
}

func TestEmbedPage(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	rec := h.do(t, "GET", "/embed/"+tr.ID, "")
	wantPageHTML(t, rec, http.StatusOK, "public, max-age=60", true)
	body := rec.Body.String()
	if src, _ := pageAttr(body, `<audio controls`, "src"); !strings.Contains(src, tr.PreviewKey) {
		t.Errorf("<audio> src = %q", src)
	}
	if src, _ := pageAttr(body, `<img`, "src"); !strings.Contains(src, tr.CoverKey) {
		t.Errorf("<img> src = %q", src)
	}
	a := regexp.MustCompile(`<h1 class="title"><a [^>]*>Song</a>`).FindString(body)
	if href, _ := pageAttr(a, "<a", "href"); href != baseURL+"/t/"+tr.ID || !strings.Contains(a, `target="_blank"`) || !strings.Contains(a, `rel="noopener"`) {
		t.Errorf("open link = %q", a)
	}
	if !strings.Contains(body, ">Song<") || !strings.Contains(body, ">Band<") {
		t.Errorf("title or artist missing: %s", body)
	}
}

func TestOEmbed(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	page := baseURL + "/t/" + tr.ID
	for _, q := range []string{"&format=json", ""} {
		rec := h.do(t, "GET", "/oembed?url="+url.QueryEscape(page)+q, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d %s", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		wantKeys(t, "oEmbed", m, "version", "type", "provider_name", "provider_url", "title", "author_name",
			"width", "height", "html", "thumbnail_url", "thumbnail_width", "thumbnail_height")
		want := map[string]any{
			"version": "1.0", "type": "video", "provider_name": "Soundtime", "provider_url": baseURL,
			"title": "Song", "author_name": "Band",
			"width": json.Number("480"), "height": json.Number("166"),
			"thumbnail_width": json.Number("600"), "thumbnail_height": json.Number("500"),
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %#v, want %#v", k, m[k], v)
			}
		}
		if s, _ := m["thumbnail_url"].(string); s != baseURL+"/t/"+tr.ID+"/cover" {
			t.Errorf("thumbnail_url = %v", m["thumbnail_url"])
		}
		iframe, _ := m["html"].(string)
		wantIframe := `<iframe src="` + baseURL + `/embed/` + tr.ID + `" width="480" height="166" frameborder="0" allow="autoplay" title="Song"></iframe>`
		if iframe != wantIframe {
			t.Errorf("html = %q, want %q", iframe, wantIframe)
		}
	}

	// No cover, no artist: the thumbnail is the card, and there is no author.
	bare := h.readyTrack(t, goodBody, track.Tags{}, false)
	m := decodeObject(t, h.do(t, "GET", "/oembed?format=json&url="+url.QueryEscape(baseURL+"/t/"+bare.ID), ""))
	wantKeys(t, "bare oEmbed", m, "version", "type", "provider_name", "provider_url", "title", "width", "height", "html",
		"thumbnail_url", "thumbnail_width", "thumbnail_height")
	if m["thumbnail_url"] != baseURL+"/t/"+bare.ID+"/card" || m["thumbnail_width"] != json.Number("1200") || m["thumbnail_height"] != json.Number("630") {
		t.Errorf("bare oEmbed thumbnail: %v %v×%v", m["thumbnail_url"], m["thumbnail_width"], m["thumbnail_height"])
	}
}

func TestOEmbedRefuses(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, false)
	for _, u := range []string{
		"",
		"https://evil.example/t/" + tr.ID,
		"http://soundtime.example/t/" + tr.ID,
		"https://soundtime.example.evil/t/" + tr.ID,
		baseURL + "/embed/" + tr.ID,
		baseURL + "/t/" + tr.ID + "/x",
		baseURL + "/t/" + tr.ID + "?x=1",
		baseURL + "/t/AAAAAAAA",
	} {
		t.Run(u, func(t *testing.T) {
			wantError(t, h.do(t, "GET", "/oembed?format=json&url="+url.QueryEscape(u), ""), http.StatusNotFound, track.ENotFound)
		})
	}
	wantError(t, h.do(t, "GET", "/oembed?format=xml&url="+url.QueryEscape(baseURL+"/t/"+tr.ID), ""), http.StatusNotImplemented, httpapi.ENotImplemented)
}

func TestTrackPageNotReady(t *testing.T) {
	h := newPagesHarness(t)
	t.Run("pending", func(t *testing.T) {
		c := h.create(t, goodBody)
		rec := h.do(t, "GET", "/t/"+c.ID, "")
		wantPageHTML(t, rec, http.StatusOK, "no-store", false)
		body := rec.Body.String()
		// Without JavaScript the page refreshes itself; with it, the app polls instead.
		if !strings.Contains(body, `<noscript><meta http-equiv="refresh" content="5"></noscript>`) || !strings.Contains(body, "Processing… this page updates by itself.") {
			t.Errorf("pending page lacks the refresh: %s", body)
		}
		if strings.Contains(body, "Download") || strings.Contains(body, "<audio") {
			t.Errorf("pending page offers media: %s", body)
		}
	})
	// Processing has not yet shown the file to be audio: nothing offers it for download.
	t.Run("processing", func(t *testing.T) {
		c := h.create(t, goodBody)
		h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
		rec := h.do(t, "GET", "/t/"+c.ID, "")
		wantPageHTML(t, rec, http.StatusOK, "no-store", false)
		body := rec.Body.String()
		if !strings.Contains(body, `data-state="processing"`) {
			t.Fatalf("not a processing page: %s", body)
		}
		if strings.Contains(body, "Download") || strings.Contains(body, "/download") {
			t.Errorf("processing page offers a download: %s", body)
		}
	})
	t.Run("failed", func(t *testing.T) {
		c := h.create(t, goodBody)
		h.upload(t, c.ID, track.ObjectInfo{Size: 1, ContentType: "audio/mpeg"})
		rec := h.do(t, "GET", "/t/"+c.ID, "")
		wantPageHTML(t, rec, http.StatusOK, "no-store", false)
		body := rec.Body.String()
		if !strings.Contains(body, "the uploaded file is not the one announced") || strings.Contains(body, "refresh") {
			t.Errorf("failed page: %s", body)
		}
	})
	t.Run("stream-only", func(t *testing.T) {
		tr := h.readyTrack(t, strings.TrimSuffix(goodBody, "}")+`,"downloadable":false}`, pageTags, false)
		body := h.do(t, "GET", "/t/"+tr.ID, "").Body.String()
		if strings.Contains(body, "Download") || strings.Contains(body, "/download") {
			t.Errorf("stream-only page offers a download: %s", body)
		}
		if !strings.Contains(body, "<audio") {
			t.Errorf("stream-only page has no player: %s", body)
		}
	})
}

// TestPagesDoNotSlideExpiry: link previews must not keep a track alive, while a listen does.
func TestPagesDoNotSlideExpiry(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	h.clock.Advance(48 * time.Hour) // well past the Retention/14 a listen waits before sliding
	expiresAt := func() time.Time {
		got, err := h.store.Get(context.Background(), tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ExpiresAt
	}
	before := expiresAt()
	for _, target := range []string{"/t/" + tr.ID, "/embed/" + tr.ID, "/oembed?url=" + url.QueryEscape(baseURL+"/t/"+tr.ID)} {
		if rec := h.do(t, "GET", target, ""); rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", target, rec.Code)
		}
		if after := expiresAt(); !after.Equal(before) {
			t.Errorf("GET %s moved the expiry from %v to %v", target, before, after)
		}
	}
	// The control: the API read is a listen and does slide it.
	h.do(t, "GET", "/api/tracks/"+tr.ID, "")
	if after := expiresAt(); !after.After(before) {
		t.Errorf("GET /api/tracks/{id} left the expiry at %v", after)
	}
}

// The stable cover link redirects to a fresh signature, cacheable for less than it lives, and
// reading it does not keep the track alive.
func TestCoverRedirect(t *testing.T) {
	h := newPagesHarness(t)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	before, _ := h.store.Get(context.Background(), tr.ID)
	h.clock.Advance(time.Hour)
	rec := h.do(t, "GET", "/t/"+tr.ID+"/cover", "")
	if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "mem://bucket/"+tr.CoverKey+"?") {
		t.Fatalf("GET cover = %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q, want public, max-age=300 (MEDIA_URL_TTL is %v)", cc, testConfig.MediaURLTTL)
	}
	after, _ := h.store.Get(context.Background(), tr.ID)
	if !after.ExpiresAt.Equal(before.ExpiresAt) {
		t.Errorf("fetching the cover slid the expiry: %v → %v", before.ExpiresAt, after.ExpiresAt)
	}
	plain := h.readyTrack(t, goodBody, pageTags, false)
	wantError(t, h.do(t, "GET", "/t/"+plain.ID+"/cover", ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "GET", "/t/AAAAAAAA/cover", ""), http.StatusNotFound, track.ENotFound)
	if m := decodeObject(t, h.do(t, "GET", "/oembed?format=json&url="+url.QueryEscape(baseURL+"/t/"+plain.ID), "")); m["thumbnail_url"] != baseURL+"/t/"+plain.ID+"/card" {
		t.Errorf("oEmbed thumbnail_url without a cover: %v, want the card", m["thumbnail_url"])
	}
}

// wantNoIndex checks that a page asks search engines not to index it, in its headers and in its
// HTML, or asks neither.
func wantNoIndex(t testing.TB, rec *httptest.ResponseRecorder, noindex bool) {
	t.Helper()
	header := rec.Header().Get("X-Robots-Tag")
	meta, hasMeta := pageMeta(rec.Body.String(), "robots")
	switch {
	case noindex && (header != "noindex" || meta != "noindex"):
		t.Errorf("X-Robots-Tag = %q, <meta name=robots> = %q; want noindex in both", header, meta)
	case !noindex && (header != "" || hasMeta):
		t.Errorf("X-Robots-Tag = %q, <meta name=robots> = %q; want neither", header, meta)
	}
}

// An unlisted link must not become findable: only the page of a public, ready track may be
// indexed; every other page, every embed and every JSON answer says noindex.
func TestPagesRobots(t *testing.T) {
	h := newPagesHarness(t)
	public := strings.TrimSuffix(goodBody, "}") + `,"public":true}`
	pubReady := h.readyTrack(t, public, pageTags, true)
	unlisted := h.readyTrack(t, goodBody, pageTags, true)
	pubPending := h.create(t, public)
	pubProcessing := h.create(t, public)
	h.upload(t, pubProcessing.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})

	pages := []struct {
		name, target string
		noindex      bool
	}{
		{"public ready track", "/t/" + pubReady.ID, false},
		{"unlisted ready track", "/t/" + unlisted.ID, true},
		{"public pending track", "/t/" + pubPending.ID, true},
		{"public processing track", "/t/" + pubProcessing.ID, true},
		{"embed of a public ready track", "/embed/" + pubReady.ID, true},
		{"embed of an unlisted track", "/embed/" + unlisted.ID, true},
		{"unknown track", "/t/AAAAAAAA", true},
		{"unknown embed", "/embed/AAAAAAAA", true},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			wantNoIndex(t, h.do(t, "GET", p.target, ""), p.noindex)
		})
	}

	answers := []struct{ method, target, body string }{
		{"GET", "/oembed?format=json&url=" + url.QueryEscape(baseURL+"/t/"+pubReady.ID), ""},
		{"GET", "/oembed?format=json&url=" + url.QueryEscape(baseURL+"/t/AAAAAAAA"), ""},
		{"GET", "/oembed?format=xml&url=" + url.QueryEscape(baseURL+"/t/"+pubReady.ID), ""},
		{"GET", "/api/tracks/" + pubReady.ID, ""},
		{"GET", "/api/tracks/AAAAAAAA", ""},
		{"GET", "/api/tracks/" + pubPending.ID + "/stream.m3u8", ""},
		{"GET", "/api/tracks/" + pubReady.ID + "/download", ""},
		{"GET", "/api/tracks/" + pubReady.ID + "/download?redirect=1", ""},
		{"POST", "/api/tracks", goodBody},
		{"POST", "/api/tracks", "{"},
		{"PUT", "/api/tracks/" + pubReady.ID, ""},
		{"DELETE", "/api/tracks/" + unlisted.ID, ""},
		{"GET", "/api/nope", ""},
		{"GET", "/api/GetTrackInfo?id=AAAAAAAA", ""},
		{"GET", "/api/getdownloadurl?id=" + pubReady.ID, ""},
	}
	for _, a := range answers {
		t.Run(a.method+" "+a.target, func(t *testing.T) {
			rec := h.do(t, a.method, a.target, a.body)
			if got := rec.Header().Get("X-Robots-Tag"); got != "noindex" {
				t.Errorf("%d answer: X-Robots-Tag = %q, want noindex", rec.Code, got)
			}
		})
	}
}
