package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
)

// The web app (spa/, built by Vite) has four entry scripts and one stylesheet with stable names:
// the server-rendered track and embed pages and the two static pages (upload, stats) name them,
// so they cannot carry content hashes. Everything they import is content-hashed and immutable.
const (
	assetCSS   = "/assets/app.css"
	trackJS    = "/assets/track.js"
	embedJS    = "/assets/embed.js"
	uploadHTML = "index.html"
	statsHTML  = "stats.html"
	favicon    = "/favicon.svg"
	robotsTxt  = "/robots.txt"
)

// hashedAsset matches the names Vite gives chunks and assets: name-<hash>.ext, the hash 8 or
// more characters of base64url.
var hashedAsset = regexp.MustCompile(`-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$`)

// Cache-Control of the app's files. Stable names are revalidated on every use (cheap with the
// ETag-less Last-Modified of a file server, and what lets a deploy replace them); hashed ones are
// never fetched twice. A deploy uploads the new hashed files before the stable names that import
// them, and leaves the old ones in place, so a page loaded before it keeps working.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// Site serves the built web app from dir: the upload page at /, the stats page at /stats, the
// files under /assets/, the icon and robots.txt, and an HTML not-found page for every other path
// outside /api/. In AWS the site bucket behind CloudFront serves the same files with the same
// Cache-Control (see `make site-upload`) and the same headers (template.yaml's SiteHeadersPolicy;
// its SitePagesFunction maps /stats to stats.html).
func Site(dir string) Group {
	return func(s *Server, mux *http.ServeMux) {
		fsys := os.DirFS(dir)
		mux.Handle("/{$}", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			s.serveApp(w, r, fsys, uploadHTML)
		}})
		mux.Handle("/stats", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			s.serveApp(w, r, fsys, statsHTML)
		}})
		for _, name := range []string{favicon, robotsTxt} {
			mux.Handle(name, methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
				s.serveApp(w, r, fsys, strings.TrimPrefix(name, "/"))
			}})
		}
		mux.Handle("/assets/", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			s.serveApp(w, r, fsys, strings.TrimPrefix(r.URL.Path, "/"))
		}})
		NotFound(s, mux)
	}
}

// NotFound answers every GET no other route takes with the HTML not-found page, except under
// /api/, whose unknown paths keep their JSON 404 (Handler's). Site uses it under make dev; in AWS
// the track function serves it for the distribution's failover from the site bucket (a missing
// key there is S3's 403 XML), so a mistyped address gets the same page in both.
func NotFound(s *Server, mux *http.ServeMux) {
	mux.Handle("/", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
		s.pageNotFound(w, r, pagePolicy{})
	}})
}

func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) {
	// os.DirFS refuses names that leave the directory (fs.ErrInvalid), so Stat is the check.
	name = path.Clean(name)
	info, err := fs.Stat(fsys, name)
	if err != nil || info.IsDir() {
		if errors.Is(err, fs.ErrNotExist) && (name == uploadHTML || name == statsHTML) {
			http.Error(w, "The web app is not built: run `make spa` (make dev does).", http.StatusServiceUnavailable)
			return
		}
		s.pageNotFound(w, r, pagePolicy{})
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if hashedAsset.MatchString(name) {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	switch {
	case name == uploadHTML || name == statsHTML:
		h.Set("Content-Security-Policy", s.CSP("'none'"))
		h.Set("X-Frame-Options", "DENY")
	case strings.HasPrefix(name, "assets/"):
		// The embed's module scripts are fetched in CORS mode, and from a sandboxed frame (an
		// opaque origin, Origin: null) every fetch is cross-origin. The files are public and
		// no credentials are involved.
		h.Set("Access-Control-Allow-Origin", "*")
	}
	http.ServeFileFS(w, r, fsys, name)
}
