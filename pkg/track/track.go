// Package track is Soundtime's domain: what a track is, the rules of its life, and the service that
// applies them through two narrow interfaces, Store (the table) and Blobs (the media bucket). It
// imports no AWS package; the adapters in pkg/dynamo and pkg/s3 implement the interfaces.
package track

import "time"

// Status is where a track is in its life.
type Status string

const (
	// StatusPending: the ID is allocated and the upload URL handed out; no bytes yet.
	StatusPending Status = "pending"
	// StatusProcessing: the original is in the bucket and verified; derived media is being made.
	StatusProcessing Status = "processing"
	// StatusReady: playable; lives RETENTION after its last listen.
	StatusReady Status = "ready"
	// StatusFailed: the upload could not be used; the reason stays visible for FAILED_TTL.
	StatusFailed Status = "failed"
)

// Track is one uploaded file and everything known about it. Fields of things that do not exist
// (a cover, a preview) are empty.
type Track struct {
	ID           string
	Status       Status
	Filename     string // as the uploader gave it: display and download name
	Type         string // normalised MIME type, without parameters
	Size         int64
	MD5          string // base64 of the raw 16-byte digest, as in Content-MD5
	Downloadable bool
	Public       bool
	// Announced: the track's Create was queued for the fediverse (a public track that became
	// ready with federation on), so its removal must be withdrawn with a Delete.
	Announced bool

	CreatedAt  time.Time
	UploadedAt time.Time // zero until the original is in the bucket
	ExpiresAt  time.Time // the item's ttl: past it, the track is gone for every reader

	OriginalKey     string // uploads/{id}/{uuid}
	DeleteTokenHash string // hex SHA-256 of the delete token; the token itself is never stored

	// UploadID is the storage's multipart upload of the original (empty for a file sent in
	// one PUT). Every part but the last is PartSize bytes, and there are PartCount parts.
	UploadID  string
	PartSize  int64
	PartCount int

	FailureCode    string
	FailureMessage string

	// Version counts the item's writes through Store.Replace: every transition is conditional on
	// the item being as it was read, so two writers never both win.
	Version int64
	// LeaseUntil is when the processing run that holds the track gives it up (zero: none holds
	// it). Attempts counts the runs that took the lease. Together they keep one run at a time
	// and let the sweeper re-drive a run that died.
	LeaseUntil time.Time
	Attempts   int
	// SweepAt is when the sweeper should look at a pending or processing track whose event or
	// run may have been lost; zero for every other status.
	SweepAt time.Time

	// Filled in by processing.
	Duration float64 // seconds
	// ProcessSeconds is how long the run that made the track ready took (wall clock), and
	// DerivedBytes how much it stored next to the original: the counters of /api/stats.
	ProcessSeconds float64
	DerivedBytes   int64
	Audio          *Audio
	Tags           *Tags
	CoverKey       string
	CoverType      string
	Theme          *Theme // colours derived from the cover; nil without one
	PreviewKey     string
	PlaylistKey    string
	WaveformKey    string

	// CoverWidth and CoverHeight are the cover's size in pixels, 0 when Go could not read it;
	// link previews announce them (og:image:width, oEmbed's thumbnail_width).
	CoverWidth, CoverHeight int
	// CardKey is the link-preview picture drawn from the waveform of a track without cover art
	// ("" for a track with one, or one processed before cards existed).
	CardKey string
}

// Theme is a page's colours derived from the cover art, as #rrggbb: a foreground that reads on
// the background (7:1) and an accent that reads on it as text (4.5:1).
type Theme struct {
	Background string
	Foreground string
	Accent     string
}

// Audio describes the original's first audio stream.
type Audio struct {
	Codec      string
	Bitrate    int
	SampleRate int
	Channels   int
}

// Tags are the original's metadata tags; empty fields were absent.
type Tags struct {
	Title  string
	Artist string
	Album  string
	Year   int
	Track  int
	Genre  string
}

// StoredBytes is what t keeps in the media bucket: nothing until its original arrives, the
// original while it is processed, the original and what was derived from it once ready, and
// nothing once failed (a failed track's objects are deleted).
func (t *Track) StoredBytes() int64 {
	switch t.Status {
	case StatusProcessing:
		return t.Size
	case StatusReady:
		return t.Size + t.DerivedBytes
	}
	return 0
}

// Multipart reports whether t's original is uploaded in parts.
func (t *Track) Multipart() bool { return t.UploadID != "" }

// Expired reports whether t is past its life at now: such a track is gone for every reader even
// while its item still exists.
func (t *Track) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}
