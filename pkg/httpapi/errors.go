package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"

	"github.com/soundtime/soundtime/pkg/track"
)

// Codes of the HTTP layer, which no domain rule produces.
const (
	// EMethodNotAllowed answers a known path with a method it does not serve.
	EMethodNotAllowed = "method_not_allowed"
	// EUnsupportedMediaType answers a JSON route with a body that is not declared as JSON.
	EUnsupportedMediaType = "unsupported_media_type"
)

// statusByCode is the one place where error codes meet HTTP status codes.
var statusByCode = map[string]int{
	track.EInvalidRequest:  http.StatusBadRequest,
	track.EInvalidFilename: http.StatusBadRequest,
	track.EUnsupportedType: http.StatusBadRequest,
	track.EInvalidSize:     http.StatusBadRequest,
	track.EInvalidMD5:      http.StatusBadRequest,
	track.ETooLarge:        http.StatusRequestEntityTooLarge,
	track.ERateLimited:     http.StatusTooManyRequests,
	track.ENotFound:        http.StatusNotFound,
	track.EForbidden:       http.StatusForbidden,
	track.ENotDownloadable: http.StatusForbidden,
	track.ENotReady:        http.StatusConflict,
	track.EInvalidPart:     http.StatusBadRequest,
	track.EInvalidParts:    http.StatusBadRequest,
	track.ENotPending:      http.StatusConflict,
	track.ETrackFailed:     http.StatusConflict,
	EMethodNotAllowed:      http.StatusMethodNotAllowed,
	EUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	track.EInternal:        http.StatusInternalServerError,
	track.EInvalidTitle:    http.StatusBadRequest,
}

// StatusFor returns the HTTP status of an error code; unknown codes are server errors, so that a
// code added without a mapping fails loudly instead of passing as success.
func StatusFor(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with err's code and user-safe message. A server error is logged here, once,
// with its cause; its body says only "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := track.ErrorCode(err)
	status := StatusFor(code)
	msg := track.ErrorMessage(err)
	if status >= 500 {
		code, msg = track.EInternal, "internal error"
		s.logger(r).Error("request failed", slog.Any("error", err))
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) { writeJSONCached(w, status, "no-store", v) }

// writeJSONCached is writeJSON with the Cache-Control header cache. The JSON is encoded into a
// pooled buffer and written in one piece: no copy of the body per answer beyond the writer's.
func writeJSONCached(w http.ResponseWriter, status int, cache string, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	// Encode writes the value and a newline, and nothing at all when it fails.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	// No JSON answer (the API's, oEmbed's) is a page to index.
	h.Set("X-Robots-Tag", "noindex")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// jsonBuffers hold the JSON answers being written. A buffer that grew past maxPooledJSON (a large
// set's answer) is left to the collector rather than kept.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledJSON = 64 << 10

func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledJSON {
		return
	}
	b.Reset()
	jsonBuffers.Put(b)
}
