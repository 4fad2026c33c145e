package httpapi

import "net/url"

// CSP returns the Content-Security-Policy of the app's pages: scripts only from this origin, no
// inline script and no eval, but WebAssembly may be compiled ('wasm-unsafe-eval': the upload
// page's MD5 is hash-wasm's, in a worker, and allows no JavaScript eval), network and media
// only to this origin and the media bucket (signed URLs),
// workers from this origin or blob: (hls.js transmuxes in one). frameAncestors is 'none' for
// every page but the embeddable player, which passes "" and gets no frame-ancestors at all: link
// cards wrap players in sandboxed or srcdoc frames, whose opaque origin no source list (not even
// *) matches.
func (s *Server) CSP(frameAncestors string) string {
	media := ""
	if s.MediaOrigin != "" {
		media = " " + s.MediaOrigin
	}
	csp := "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:" + media + "; media-src 'self' blob:" + media + "; " +
		"connect-src 'self'" + media + "; worker-src 'self' blob:; object-src 'none'; " +
		"base-uri 'none'; form-action 'self'"
	if frameAncestors != "" {
		csp += "; frame-ancestors " + frameAncestors
	}
	return csp
}

// OriginOf returns the scheme://host[:port] of an absolute URL, or "": the form of
// Server.MediaOrigin, which CSP allows.
func OriginOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
