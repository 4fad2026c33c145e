package httpapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

// The Soundtime v1 routes keep existing clients working: same validation and rules as the
// current API, the v1 response shapes, and v1's error body {"errorMessage": …}.

type v1Error struct {
	ErrorMessage string `json:"errorMessage"`
}

func (s *Server) v1Error(w http.ResponseWriter, r *http.Request, err error) {
	code := track.ErrorCode(err)
	status := StatusFor(code)
	msg := track.ErrorMessage(err)
	switch {
	case status >= 500:
		s.logger(r).Error("request failed", slog.Any("error", err))
		msg = "internal error"
	case code == track.ENotFound:
		msg = "File was not found"
	case status == http.StatusTooManyRequests, status == http.StatusMethodNotAllowed:
		// Clients of any age understand 429, and 405 comes with its Allow header.
	case status != http.StatusNotFound:
		// v1 clients know 400 and 404 only.
		status = http.StatusBadRequest
	}
	writeJSON(w, status, v1Error{ErrorMessage: msg})
}

// v1Query parses a v1 request's query as v1 clients write it. url.ParseQuery drops every pair
// holding a ';' (Go 1.17 stopped treating it as a separator), and v1 clients send their file's
// type unencoded: type=audio/ogg;codecs=opus. So pairs are split on '&' only, and each side is
// percent-decoded with '+' as a space (v1 clients send spaces in file names so; a '+' of an
// unencoded MD5 is put back by the caller). A malformed escape is an invalid_request.
func v1Query(raw string) (url.Values, error) {
	q := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, track.Errorf(track.EInvalidRequest, "malformed query: a parameter name is not percent-encoded correctly")
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, track.Errorf(track.EInvalidRequest, "malformed query: parameter %s is not percent-encoded correctly", key)
		}
		q.Add(key, value)
	}
	return q, nil
}

func (s *Server) v1GetUploadURL(w http.ResponseWriter, r *http.Request) {
	q, err := v1Query(r.URL.RawQuery)
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	var missing []string
	for _, name := range []string{"filename", "type", "size", "md5"} {
		if !q.Has(name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		s.v1Error(w, r, track.Errorf(track.EInvalidRequest, "missing parameter: %s", strings.Join(missing, ", ")))
		return
	}
	size, err := strconv.ParseInt(q.Get("size"), 10, 64)
	if err != nil {
		s.v1Error(w, r, track.Errorf(track.EInvalidSize, "size must be a whole number of bytes"))
		return
	}
	// A '+' of base64 sent without percent-encoding arrives as a space.
	md5 := strings.ReplaceAll(q.Get("md5"), " ", "+")
	// v1 clients know only the one PUT, whatever the size.
	c, err := s.Tracks.CreatePut(r.Context(), track.UploadRequest{
		Filename: q.Get("filename"), Type: q.Get("type"), Size: size, MD5: md5,
	})
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	s.Metrics.Emit(r.Context(), nil, metrics.C(metrics.UploadsStarted))
	writeJSON(w, http.StatusOK, struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}{c.Track.ID, c.Upload.URL})
}

type v1TrackInfo struct {
	Filename   string  `json:"filename,omitempty"`
	FileType   string  `json:"fileType,omitempty"`
	Size       string  `json:"size,omitempty"`
	UploadDate string  `json:"uploadDate,omitempty"`
	Preview    string  `json:"preview,omitempty"`
	Tags       *v1Tags `json:"tags,omitempty"`
}

type v1Tags struct {
	Artist string `json:"artist,omitempty"`
	Title  string `json:"title,omitempty"`
	Album  string `json:"album,omitempty"`
	Image  string `json:"image,omitempty"`
}

func (s *Server) v1GetTrackInfo(w http.ResponseWriter, r *http.Request) {
	q, err := v1Query(r.URL.RawQuery)
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	t, err := s.Tracks.Listen(r.Context(), q.Get("id"))
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	info := v1TrackInfo{
		Filename: t.Filename, FileType: t.Type, Size: strconv.FormatInt(t.Size, 10),
		UploadDate: rfc3339(t.UploadedAt),
	}
	m, err := s.Tracks.Media(r.Context(), t)
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	info.Preview = m.Preview
	tags := v1Tags{Image: m.Cover}
	if g := t.Tags; g != nil {
		tags.Artist, tags.Title, tags.Album = g.Artist, g.Title, g.Album
	}
	if tags != (v1Tags{}) {
		info.Tags = &tags
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) v1GetDownloadURL(w http.ResponseWriter, r *http.Request) {
	q, err := v1Query(r.URL.RawQuery)
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	_, p, err := s.Tracks.Download(r.Context(), q.Get("id"))
	if err != nil {
		s.v1Error(w, r, err)
		return
	}
	defer s.count(r, stats.Downloaded(s.now()), metrics.Downloads)
	writeJSON(w, http.StatusOK, struct {
		URL string `json:"url"`
	}{p.URL})
}
