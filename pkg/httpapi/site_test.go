package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

// newSiteHarness serves every group plus the app built into a temporary directory.
func newSiteHarness(t *testing.T, files map[string]string) *harness {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t)
	h.srv.MediaOrigin = "https://media.example"
	h.srv.MaxDuration = 4 * time.Hour
	h.handler = h.srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages, httpapi.Site(dir))
	return h
}

var siteFiles = map[string]string{
	"index.html":                   "<!doctype html><title>Upload</title>",
	"stats.html":                   "<!doctype html><title>Statistics</title>",
	"assets/stats.js":              "console.log('stats')",
	"assets/upload.js":             "console.log('upload')",
	"favicon.svg":                  "<svg/>",
	"robots.txt":                   "User-agent: *\nDisallow: /api/\n",
	"assets/app.css":               "body{}",
	"assets/player-Dk3_x9aQ.js":    "export {}",
	"assets/hls.light-BX12ab-Z.js": "export {}",
}

func TestSiteServesTheApp(t *testing.T) {
	h := newSiteHarness(t, siteFiles)
	for _, tc := range []struct {
		path, body, cache, typ string
	}{
		{"/", siteFiles["index.html"], "no-cache", "text/html; charset=utf-8"},
		{"/stats", siteFiles["stats.html"], "no-cache", "text/html; charset=utf-8"},
		{"/assets/stats.js", siteFiles["assets/stats.js"], "no-cache", "text/javascript; charset=utf-8"},
		{"/assets/upload.js", siteFiles["assets/upload.js"], "no-cache", "text/javascript; charset=utf-8"},
		{"/assets/app.css", siteFiles["assets/app.css"], "no-cache", "text/css; charset=utf-8"},
		{"/favicon.svg", siteFiles["favicon.svg"], "no-cache", "image/svg+xml"},
		{"/robots.txt", siteFiles["robots.txt"], "no-cache", "text/plain; charset=utf-8"},
		{"/assets/player-Dk3_x9aQ.js", siteFiles["assets/player-Dk3_x9aQ.js"], "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"/assets/hls.light-BX12ab-Z.js", siteFiles["assets/hls.light-BX12ab-Z.js"], "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
	} {
		rec := h.do(t, "GET", tc.path, "")
		if rec.Code != http.StatusOK || rec.Body.String() != tc.body {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.path, rec.Code, rec.Body, tc.body)
		}
		if got := rec.Header().Get("Cache-Control"); got != tc.cache {
			t.Errorf("GET %s: Cache-Control = %q, want %q", tc.path, got, tc.cache)
		}
		if got := rec.Header().Get("Content-Type"); got != tc.typ {
			t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, got, tc.typ)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q", tc.path, got)
		}
	}
	// The upload page PUTs to the bucket: its policy allows the media origin, and nothing inline.
	// It refuses to be framed, with both headers. The stats page gets the same policy, as it
	// does from CloudFront (SiteHeadersPolicy covers every file of the site).
	for _, p := range []string{"/", "/stats"} {
		hdr := h.do(t, "GET", p, "").Header()
		csp := hdr.Get("Content-Security-Policy")
		if want := h.srv.CSP("'none'"); csp != want {
			t.Errorf("GET %s: CSP %q, want %q", p, csp, want)
		}
		for _, d := range []string{"script-src 'self' 'wasm-unsafe-eval';", "connect-src 'self' https://media.example;", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, d)
			}
		}
		if got := hdr.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options = %q, want DENY", p, got)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET %s: Access-Control-Allow-Origin = %q, want none", p, got)
		}
	}
}

// The embed's scripts are module scripts, fetched in CORS mode; inside a sandboxed frame (an
// opaque origin, Origin: null) that fetch is cross-origin and needs the answer to allow it.
func TestSiteAssetsCORS(t *testing.T) {
	h := newSiteHarness(t, siteFiles)
	for _, p := range []string{"/assets/upload.js", "/assets/app.css", "/assets/player-Dk3_x9aQ.js", "/assets/hls.light-BX12ab-Z.js"} {
		rec := h.do(t, "GET", p, "", "Origin", "null")
		if got := rec.Header().Get("Access-Control-Allow-Origin"); rec.Code != http.StatusOK || got != "*" {
			t.Errorf("GET %s = %d, Access-Control-Allow-Origin %q; want 200 and *", p, rec.Code, got)
		}
		if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("GET %s: Access-Control-Allow-Credentials = %q, want none", p, got)
		}
	}
}

func TestSiteNotFound(t *testing.T) {
	h := newSiteHarness(t, siteFiles)
	for _, p := range []string{"/nope", "/assets/missing.js", "/assets/", "/t/", "/index.html/x", "/index.html", "/stats.html", "/stats/", "/stats/x"} {
		rec := h.do(t, "GET", p, "")
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not found") ||
			rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s = %d %s %q, want the HTML not-found page", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		wantPageHTML(t, rec, http.StatusNotFound, "no-store", false)
		wantNoIndex(t, rec, true)
	}
	// Out of the directory: redirected to a clean path or refused, never served.
	for _, p := range []string{"/assets/../../go.mod", "/assets/%2e%2e/%2e%2e/go.mod", "/assets/..%2f..%2fgo.mod"} {
		if rec := h.do(t, "GET", p, ""); rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "module") {
			t.Errorf("GET %s = %d %q", p, rec.Code, rec.Body)
		}
	}
	// The API keeps its JSON errors.
	wantError(t, h.do(t, "GET", "/api/nope", ""), http.StatusNotFound, track.ENotFound)
	for _, p := range []string{"/", "/stats"} {
		if rec := h.do(t, "POST", p, ""); rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %d, want 405", p, rec.Code)
		}
	}
}

func TestSiteNotBuilt(t *testing.T) {
	h := newSiteHarness(t, nil)
	for _, p := range []string{"/", "/stats"} {
		rec := h.do(t, "GET", p, "")
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make spa") {
			t.Errorf("GET %s without a build = %d %q, want 503 saying how to build", p, rec.Code, rec.Body)
		}
	}
}

func TestTrackTheme(t *testing.T) {
	h := newSiteHarness(t, nil)
	tr := h.readyTrack(t, goodBody, pageTags, true)
	const style = "<style>:root{--bg:#1a2b3c;--fg:#fafafa;--accent:#ff8800}</style>"
	for _, p := range []string{"/t/", "/embed/"} {
		if body := h.do(t, "GET", p+tr.ID, "").Body.String(); !strings.Contains(body, style) {
			t.Errorf("%s page lacks the theme %s: %s", p, style, body)
		}
	}
	m := decodeObject(t, h.do(t, "GET", "/api/tracks/"+tr.ID, ""))
	th, _ := m["theme"].(map[string]any)
	if th["background"] != "#1a2b3c" || th["foreground"] != "#fafafa" || th["accent"] != "#ff8800" {
		t.Errorf("theme = %v", m["theme"])
	}

	// A colour that is not #rrggbb never reaches the stylesheet, whoever wrote it.
	bad := *tr
	bad.Theme = &track.Theme{Background: "red;}</style><script>", Foreground: "#fafafa", Accent: "#ff8800"}
	if err := h.store.Replace(context.Background(), tr, &bad); err != nil {
		t.Fatal(err)
	}
	body := h.do(t, "GET", "/t/"+tr.ID, "").Body.String()
	if strings.Contains(body, "<style>") || strings.Contains(body, "</style><script>") {
		t.Errorf("an invalid theme reached the page: %s", body)
	}

	// No cover, no theme.
	plain := h.readyTrack(t, goodBody, pageTags, false)
	if body := h.do(t, "GET", "/t/"+plain.ID, "").Body.String(); strings.Contains(body, "<style>") {
		t.Errorf("a page without a cover is themed: %s", body)
	}
	if m := decodeObject(t, h.do(t, "GET", "/api/tracks/"+plain.ID, "")); m["theme"] != nil {
		t.Errorf("theme without a cover: %v", m["theme"])
	}
}

// The pages function as deployed (functions/pages, the HTTP API's GET /{proxy+}): a path it has
// no route for is the HTML not-found page (CloudFront's failover from the site bucket lands
// here), while under /api/ it answers the API's JSON error; the track function
// (functions/track) keeps its JSON errors, an unknown track included.
func TestPagesFunctionNotFound(t *testing.T) {
	h := newHarness(t)
	pages := h.srv.Handler(httpapi.Pages, httpapi.Sets, httpapi.NotFound)
	tracks := h.srv.Handler(httpapi.Tracks)
	h.handler = pages
	for _, p := range []string{"/nope", "/index.htm", "/assets/missing-Ab12Cd34.js", "/stats/x", "/t/", "/wp-login.php"} {
		rec := h.do(t, "GET", p, "")
		if !strings.Contains(rec.Body.String(), "not found") {
			t.Errorf("GET %s: %q, want the not-found page", p, rec.Body)
		}
		wantPageHTML(t, rec, http.StatusNotFound, "no-store", false)
		wantNoIndex(t, rec, true)
	}
	if rec := h.do(t, "GET", "/t/", ""); !strings.Contains(rec.Body.String(), "Track not found") {
		t.Errorf("GET /t/: %q, want the track's not-found page", rec.Body)
	}
	wantError(t, h.do(t, "GET", "/api/nope", ""), http.StatusNotFound, track.ENotFound)
	if rec := h.do(t, "HEAD", "/nope", ""); rec.Code != http.StatusNotFound {
		t.Errorf("HEAD /nope = %d, want 404", rec.Code)
	}
	h.handler = tracks
	wantError(t, h.do(t, "GET", "/api/tracks/Zz9Zz9Zz", ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "DELETE", "/api/tracks/Zz9Zz9Zz", "", "Authorization", "Bearer x"), http.StatusNotFound, track.ENotFound)
}
