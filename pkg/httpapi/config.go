package httpapi

import (
	"net/http"

	"github.com/soundtime/soundtime/pkg/track"
)

// configJSON tells the upload page what the server accepts, so it can refuse a file before
// hashing or uploading a byte of it. The server checks again, whatever the page did.
type configJSON struct {
	MaxUploadBytes     int64    `json:"maxUploadBytes"`
	MaxDurationSeconds int64    `json:"maxDurationSeconds"`
	RetentionDays      int      `json:"retentionDays"`
	Types              []string `json:"types"`
	// MultipartThreshold: a larger file goes up in parts, and its MD5 may wait for the
	// completion, so the page need not hash it before starting.
	MultipartThreshold int64 `json:"multipartThreshold,omitempty"`
	// Fediverse is the account that announces public tracks (@tracks@host), absent with
	// federation off: the upload page says what "Public" does, the track page whom to follow.
	Fediverse string `json:"fediverse,omitempty"`
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	c := s.Tracks.Config
	writeJSON(w, http.StatusOK, configJSON{
		MaxUploadBytes:     c.MaxUploadBytes,
		MaxDurationSeconds: int64(s.MaxDuration.Seconds()),
		RetentionDays:      int(c.Retention.Hours() / 24),
		Types:              track.AllowedTypes(),
		MultipartThreshold: c.MultipartThreshold,
		Fediverse:          s.Fediverse,
	})
}
