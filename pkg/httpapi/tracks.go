package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

// maxRequestBody bounds a JSON request: a create request is a few hundred bytes.
const maxRequestBody = 64 << 10

// createRequest mirrors track.UploadRequest with pointers and a json.Number, so that a missing
// field (invalid_request) is told apart from an empty or wrong one (invalid_filename, …).
type createRequest struct {
	Filename     *string         `json:"filename"`
	Type         *string         `json:"type"`
	Size         json.RawMessage `json:"size"`
	MD5          *string         `json:"md5"`
	Downloadable *bool           `json:"downloadable"`
	Public       *bool           `json:"public"`
}

func (s *Server) createTrack(w http.ResponseWriter, r *http.Request) {
	if err := requireJSON(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeCreate(r, s.Tracks.Config.MultipartThreshold)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Tracks.Create(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Metrics.Emit(r.Context(), nil, metrics.C(metrics.UploadsStarted))
	w.Header().Set("Location", "/api/tracks/"+c.Track.ID)
	up := uploadJSON{
		Method: c.Upload.Method, URL: c.Upload.URL,
		ExpiresAt: rfc3339(c.Upload.ExpiresAt), Headers: c.Upload.Headers,
	}
	if t := c.Track; t.Multipart() {
		// The parts are signed one call at a time (POST …/parts); the upload lives as long as
		// the pending track, whose deadline each call moves.
		up = uploadJSON{Method: MethodMultipart, PartSize: t.PartSize, PartCount: t.PartCount, ExpiresAt: rfc3339(t.ExpiresAt)}
	}
	writeJSON(w, http.StatusCreated, createdJSON{
		ID: c.Track.ID, URL: s.shareURL(c.Track.ID), Status: string(c.Track.Status),
		Upload:      up,
		DeleteToken: c.DeleteToken,
		ExpiresAt:   rfc3339(c.Track.ExpiresAt),
	})
}

// MethodMultipart is the upload method of a file that goes up in parts.
const MethodMultipart = "MULTIPART"

// requireJSON refuses a request whose body is not declared as JSON, before anything reads it.
// A cross-site HTML form can only send text/plain, multipart/form-data or
// application/x-www-form-urlencoded, and fetch from another origin cannot send application/json
// without a preflight, which no route answers: so no other site can start uploads in its
// visitors' browsers.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return track.Errorf(EUnsupportedMediaType, "the request body must be JSON, sent with Content-Type: application/json")
}

// decodeJSON decodes a body of at most limit bytes holding one JSON object into v; an error is
// EInvalidRequest with what is wrong, never the input.
func decodeJSON(r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return track.Errorf(track.EInvalidRequest, "could not read the request body")
	}
	if int64(len(body)) > limit {
		return track.Errorf(track.EInvalidRequest, "the request body is too large")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return track.Errorf(track.EInvalidRequest, "the body must be a JSON object: %s", jsonProblem(err))
	}
	// More() says false before a stray ']' or '}', so ask for the next token: only EOF will do.
	if _, err := dec.Token(); err != io.EOF {
		return track.Errorf(track.EInvalidRequest, "the body must hold one JSON object")
	}
	return nil
}

// decodeCreate decodes a create request. md5 may be absent for a file larger than threshold
// (a multipart upload, whose MD5 may come with its completion), and only then.
func decodeCreate(r *http.Request, threshold int64) (track.UploadRequest, error) {
	var cr createRequest
	if err := decodeJSON(r, maxRequestBody, &cr); err != nil {
		return track.UploadRequest{}, err
	}
	md5Optional := false
	if len(cr.Size) > 0 && threshold > 0 {
		size, err := strconv.ParseInt(string(cr.Size), 10, 64)
		md5Optional = err == nil && size > threshold
	}
	var missing []string
	for name, v := range map[string]bool{"filename": cr.Filename == nil, "type": cr.Type == nil, "size": cr.Size == nil || string(cr.Size) == "null", "md5": cr.MD5 == nil && !md5Optional} {
		if v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return track.UploadRequest{}, track.Errorf(track.EInvalidRequest, "missing field: %s", strings.Join(missing, ", "))
	}
	// A JSON number only: "123" as a string is a client bug worth reporting, not guessing at.
	if c := cr.Size[0]; c != '-' && (c < '0' || c > '9') {
		return track.UploadRequest{}, track.Errorf(track.EInvalidRequest, "field size has the wrong type")
	}
	size, err := strconv.ParseInt(string(cr.Size), 10, 64)
	if err != nil {
		return track.UploadRequest{}, track.Errorf(track.EInvalidSize, "size must be a whole number of bytes")
	}
	var md5 string
	if cr.MD5 != nil {
		md5 = *cr.MD5
	}
	return track.UploadRequest{
		Filename: *cr.Filename, Type: *cr.Type, Size: size, MD5: md5,
		Downloadable: cr.Downloadable, Public: cr.Public,
	}, nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return "field " + te.Field + " has the wrong type"
	case errors.As(err, &te):
		return "expected an object"
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON"
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return "malformed JSON"
}

func (s *Server) getTrack(w http.ResponseWriter, r *http.Request) {
	t, err := s.Tracks.Listen(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.Tracks.Media(r.Context(), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.trackJSON(t, m))
}

func (s *Server) playlist(w http.ResponseWriter, r *http.Request) {
	body, live, err := s.Tracks.Playlist(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.mpegurl")
	// The signed URLs inside are personal to this response and expire: no shared caching.
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
	if !live {
		// A play is a request for a ready track: a player reloads the EVENT playlist of a
		// track still processing every few seconds.
		s.count(r, stats.Played(s.now()), metrics.Plays)
	}
}

func (s *Server) deleteTrack(w http.ResponseWriter, r *http.Request) {
	token, _ := bearer(r)
	if _, err := s.Tracks.Delete(r.Context(), r.PathValue("id"), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	t, p, err := s.Tracks.Download(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.count(r, stats.Downloaded(s.now()), metrics.Downloads)
	if v := r.URL.Query().Get("redirect"); v == "1" || v == "true" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, p.URL, http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, downloadJSON{URL: p.URL, Filename: t.Filename, ExpiresAt: rfc3339(p.ExpiresAt)})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.Health != nil {
		if err := s.Health(r.Context()); err != nil {
			s.logger(r).Error("health check failed", slog.Any("error", err))
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) shareURL(id string) string { return s.BaseURL + "/t/" + id }

type createdJSON struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	Status      string     `json:"status"`
	Upload      uploadJSON `json:"upload"`
	DeleteToken string     `json:"deleteToken"`
	ExpiresAt   string     `json:"expiresAt"`
}

// uploadJSON is how to upload: one PUT (url, headers) or MULTIPART (partSize, partCount).
type uploadJSON struct {
	Method    string            `json:"method"`
	URL       string            `json:"url,omitempty"`
	PartSize  int64             `json:"partSize,omitempty"`
	PartCount int               `json:"partCount,omitempty"`
	ExpiresAt string            `json:"expiresAt"`
	Headers   map[string]string `json:"headers,omitempty"`
}

type downloadJSON struct {
	URL       string `json:"url"`
	Filename  string `json:"filename"`
	ExpiresAt string `json:"expiresAt"`
}

// trackJSONBody is what a listener sees. Fields of things that do not exist are omitted.
type trackJSONBody struct {
	ID           string `json:"id"`
	URL          string `json:"url"`
	Status       string `json:"status"`
	Filename     string `json:"filename"`
	Type         string `json:"type"`
	Size         int64  `json:"size"`
	CreatedAt    string `json:"createdAt"`
	UploadedAt   string `json:"uploadedAt,omitempty"`
	ExpiresAt    string `json:"expiresAt"`
	Downloadable bool   `json:"downloadable"`
	Public       bool   `json:"public"`
	// Announced: the track was announced to the fediverse (a public track that became ready).
	Announced bool       `json:"announced,omitempty"`
	Duration  float64    `json:"duration,omitempty"`
	Audio     *audioJSON `json:"audio,omitempty"`
	Tags      *tagsJSON  `json:"tags,omitempty"`
	Cover     string     `json:"cover,omitempty"`
	Preview   string     `json:"preview,omitempty"`
	Stream    string     `json:"stream,omitempty"`
	// Playable: stream is there, also while the track is still processing.
	Playable bool         `json:"playable,omitempty"`
	Waveform string       `json:"waveform,omitempty"`
	Theme    *themeJSON   `json:"theme,omitempty"`
	Error    *errorDetail `json:"error,omitempty"`
}

type audioJSON struct {
	Codec      string `json:"codec,omitempty"`
	Bitrate    int    `json:"bitrate,omitempty"`
	SampleRate int    `json:"sampleRate,omitempty"`
	Channels   int    `json:"channels,omitempty"`
}

type tagsJSON struct {
	Title  string `json:"title,omitempty"`
	Artist string `json:"artist,omitempty"`
	Album  string `json:"album,omitempty"`
	Year   int    `json:"year,omitempty"`
	Track  int    `json:"track,omitempty"`
	Genre  string `json:"genre,omitempty"`
}

func (s *Server) trackJSON(t *track.Track, m track.MediaURLs) trackJSONBody {
	b := trackJSONBody{
		ID: t.ID, URL: s.shareURL(t.ID), Status: string(t.Status),
		Filename: t.Filename, Type: t.Type, Size: t.Size,
		CreatedAt: rfc3339(t.CreatedAt), UploadedAt: rfc3339(t.UploadedAt), ExpiresAt: rfc3339(t.ExpiresAt),
		Downloadable: t.Downloadable, Public: t.Public, Announced: t.Announced, Duration: t.Duration,
	}
	if a := t.Audio; a != nil {
		b.Audio = &audioJSON{Codec: a.Codec, Bitrate: a.Bitrate, SampleRate: a.SampleRate, Channels: a.Channels}
	}
	if g := t.Tags; g != nil && *g != (track.Tags{}) {
		b.Tags = &tagsJSON{Title: g.Title, Artist: g.Artist, Album: g.Album, Year: g.Year, Track: g.Track, Genre: g.Genre}
	}
	if t.Status == track.StatusFailed {
		b.Error = &errorDetail{Code: t.FailureCode, Message: t.FailureMessage}
	}
	b.Cover, b.Preview, b.Waveform = m.Cover, m.Preview, m.Waveform
	if th := t.Theme; th != nil && m.Cover != "" {
		b.Theme = &themeJSON{Background: th.Background, Foreground: th.Foreground, Accent: th.Accent}
	}
	if t.Playable() {
		b.Stream, b.Playable = s.BaseURL+"/api/tracks/"+t.ID+"/stream.m3u8", true
	}
	return b
}

// themeJSON is the page's colours from the cover art, #rrggbb.
type themeJSON struct {
	Background string `json:"background"`
	Foreground string `json:"foreground"`
	Accent     string `json:"accent"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
