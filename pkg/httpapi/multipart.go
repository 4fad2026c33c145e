package httpapi

import (
	"net/http"

	"github.com/soundtime/soundtime/pkg/track"
)

// The calls of a multipart upload (docs/api.md, "Large files: multipart upload"). Each carries
// the track's delete token as a Bearer token; the bodies are JSON, as for starting an upload.

// maxCompleteBody bounds a completion: a thousand parts with their ETags are about 60 kB.
const maxCompleteBody = 256 << 10

type partRequestJSON struct {
	Number int    `json:"number"`
	MD5    string `json:"md5"`
	Size   int64  `json:"size"`
}

type signedPartJSON struct {
	Number    int               `json:"number"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt string            `json:"expiresAt"`
}

func (s *Server) signParts(w http.ResponseWriter, r *http.Request) {
	if err := requireJSON(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Parts []partRequestJSON `json:"parts"`
	}
	if err := decodeJSON(r, maxRequestBody, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs := make([]track.PartRequest, len(body.Parts))
	for i, p := range body.Parts {
		reqs[i] = track.PartRequest{Number: p.Number, MD5: p.MD5, Size: p.Size}
	}
	token, _ := bearer(r)
	_, signed, err := s.Tracks.SignParts(r.Context(), r.PathValue("id"), token, reqs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]signedPartJSON, len(signed))
	for i, p := range signed {
		out[i] = signedPartJSON{Number: p.Number, Method: p.Method, URL: p.URL, Headers: p.Headers, ExpiresAt: rfc3339(p.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"parts": out})
}

type partJSON struct {
	Number int    `json:"number"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

type partsJSON struct {
	PartSize  int64      `json:"partSize"`
	PartCount int        `json:"partCount"`
	Uploaded  []partJSON `json:"uploaded"`
}

func (s *Server) listParts(w http.ResponseWriter, r *http.Request) {
	token, _ := bearer(r)
	t, parts, err := s.Tracks.Parts(r.Context(), r.PathValue("id"), token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := partsJSON{PartSize: t.PartSize, PartCount: t.PartCount, Uploaded: make([]partJSON, len(parts))}
	for i, p := range parts {
		out.Uploaded[i] = partJSON{Number: p.Number, ETag: p.ETag, Size: p.Size}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request) {
	if err := requireJSON(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Parts []struct {
			Number int    `json:"number"`
			ETag   string `json:"etag"`
		} `json:"parts"`
		MD5 string `json:"md5"`
	}
	if err := decodeJSON(r, maxCompleteBody, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	parts := make([]track.Part, len(body.Parts))
	for i, p := range body.Parts {
		parts[i] = track.Part{Number: p.Number, ETag: p.ETag}
	}
	token, _ := bearer(r)
	t, err := s.Tracks.Complete(r.Context(), r.PathValue("id"), token, parts, body.MD5)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// What a listener would see now, without media: the upload function signs none, and a
	// completed upload has none until it is processed.
	writeJSON(w, http.StatusAccepted, s.trackJSON(t, track.MediaURLs{}))
}
