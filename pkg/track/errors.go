package track

import (
	"errors"
	"fmt"
)

// Error codes. Each one is part of the HTTP contract (see docs/api.md); the HTTP layer maps them to
// status codes in one place.
const (
	EInvalidRequest  = "invalid_request"
	EInvalidFilename = "invalid_filename"
	EUnsupportedType = "unsupported_type"
	EInvalidSize     = "invalid_size"
	EInvalidMD5      = "invalid_md5"
	ETooLarge        = "too_large"
	ERateLimited     = "rate_limited"
	ENotFound        = "not_found"
	EForbidden       = "forbidden"
	ENotDownloadable = "not_downloadable"
	ENotReady        = "not_ready"
	// Multipart uploads: a part that does not fit the upload's plan, a completion that does
	// not list every part (or that storage refuses), a call once the upload is no longer in
	// progress.
	EInvalidPart  = "invalid_part"
	EInvalidParts = "invalid_parts"
	ENotPending   = "not_pending"
	// ETrackFailed: the track failed; its reason is on the track.
	ETrackFailed = "failed"
	EInternal    = "internal"

	// Processing failures, kept on a failed track.
	EUploadMismatch = "upload_mismatch"
	ENotAudio       = "not_audio"
	ECorrupt        = "corrupt"
	ETooLong        = "too_long"
	// ECorruptUpload: the stored file's MD5 is not the one its uploader announced (a part of
	// another file, a file that changed while it was being sent).
	ECorruptUpload = "corrupt_upload"
	// EProcessingFailed: every run died or the processing deadline passed without a result.
	EProcessingFailed = "processing_failed"
)

// Error is the one error type that crosses package boundaries with a meaning a user may see. Its
// Message is safe to show to anyone; causes that are not stay wrapped and are only logged.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for any other non-nil
// error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err: the message of its *Error, or "internal
// error" for anything else, so that causes never reach a response.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Sentinel errors returned by Store and Blobs implementations. They are translated at the adapter
// so that the service never sees an SDK error type.
var (
	// ErrNotFound: the item or object does not exist.
	ErrNotFound = &Error{Code: ENotFound, Message: "no track with that ID"}
	// ErrIDTaken: Store.Create found an item with the same ID; the caller draws another.
	ErrIDTaken = errors.New("track: id taken")
	// ErrConflict: a conditional write found the item in another state than expected (a concurrent
	// or duplicate writer won); the write changed nothing.
	ErrConflict = errors.New("track: conditional write lost")
	// ErrNoSuchUpload: the multipart upload is no longer in progress (completed or aborted).
	ErrNoSuchUpload = errors.New("track: no such multipart upload")
	// ErrPartsRejected: storage refused to assemble the listed parts (a part it does not hold
	// with that ETag, or a total size other than the one announced).
	ErrPartsRejected = errors.New("track: storage refused the parts")
)

// Outcomes of an event for an original that are not failures: the caller has nothing to do, or
// something other than processing to do.
var (
	// ErrNoWork: the event needs no work (a duplicate, a late event, an object already gone).
	ErrNoWork = errors.New("track: nothing to do")
	// ErrBusy: a live processing run holds the track's lease; another run would repeat its work.
	ErrBusy = errors.New("track: a live run is processing the track")
	// ErrStray: the object belongs to no upload in progress (its track is gone, failed or never
	// signed this key); the caller deletes it.
	ErrStray = errors.New("track: object of no upload in progress")
)
