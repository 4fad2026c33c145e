package track

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Store is the table of tracks. Implementations translate their own errors into ErrNotFound,
// ErrIDTaken and ErrConflict; any other error is transient and worth a retry.
type Store interface {
	// Create inserts t if no item has its ID, else returns ErrIDTaken. It never overwrites.
	Create(ctx context.Context, t *Track) error
	// Get returns the item with a strongly consistent read, or ErrNotFound. It does not look at
	// the expiry: the service does.
	Get(ctx context.Context, id string) (*Track, error)
	// Replace writes next whole over old if the stored item still has old's status and version
	// (it is as it was read), and sets next.Version to the stored one's, old's plus one; else it
	// returns ErrConflict and writes nothing.
	Replace(ctx context.Context, old, next *Track) error
	// Touch sets the expiry of a ready track to to, if its expiry is still from; else ErrConflict.
	Touch(ctx context.Context, id string, from, to time.Time) error
	// Extend moves the expiry of a pending track to to, if its expiry is earlier; else (the
	// track is not pending, is gone, or already lives that long) ErrConflict. It leaves the
	// version alone, so a writer that read the track before still wins its Replace.
	Extend(ctx context.Context, id string, to time.Time) error
	// Delete removes the item if its delete token hash is tokenHash and returns what it held;
	// ErrNotFound if there is no item, ErrConflict if the hash differs.
	Delete(ctx context.Context, id, tokenHash string) (*Track, error)
	// Due returns the IDs of the tracks of status (pending or processing) whose SweepAt is at
	// or before until, without reading the whole table.
	Due(ctx context.Context, status Status, until time.Time) ([]string, error)
}

// Blobs is the media bucket.
type Blobs interface {
	// PresignPut signs a PUT of exactly size bytes of type contentType whose MD5 is md5 (base64)
	// to key, valid for ttl. The upload must carry the returned headers verbatim.
	PresignPut(ctx context.Context, key, contentType string, size int64, md5 string, ttl time.Duration) (Presigned, error)
	// PresignGet signs a GET of key valid for ttl; a non-empty disposition or contentType
	// overrides the response header.
	PresignGet(ctx context.Context, key string, opt GetOptions, ttl time.Duration) (Presigned, error)
	// Head returns an object's size and content type, or ErrNotFound.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// Get streams an object; the caller closes it. ErrNotFound if it does not exist.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// Put writes size bytes from body (rewound and re-read on a retry) to key.
	Put(ctx context.Context, key string, body io.ReadSeeker, size int64, opt PutOptions) error
	// List calls fn with every key under prefix, in order; an error from fn stops it.
	List(ctx context.Context, prefix string, fn func(key string) error) error
	// Delete deletes one object; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix deletes every object under prefix and returns how many it deleted. Deleting
	// nothing is not an error.
	DeletePrefix(ctx context.Context, prefix string) (int, error)

	// CreateMultipart begins a multipart upload of an object of type contentType at key and
	// returns its upload ID.
	CreateMultipart(ctx context.Context, key, contentType string) (string, error)
	// PresignPart signs the PUT of part number of upload uploadID at key: exactly size bytes
	// whose MD5 is md5 (base64), valid for ttl. The PUT must carry the returned headers verbatim.
	PresignPart(ctx context.Context, key, uploadID string, number int, size int64, md5 string, ttl time.Duration) (Presigned, error)
	// ListParts returns the parts storage holds for the upload, in ascending number, or
	// ErrNoSuchUpload once the upload is completed or aborted.
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
	// CompleteMultipart assembles parts (ascending numbers) into the object at key, which must
	// come to size bytes. ErrNoSuchUpload: the upload is no longer in progress (completed
	// before, or aborted; S3 may also answer a repeated completion with success).
	// ErrPartsRejected: storage refused the list (after an abort, Versity says so too).
	CompleteMultipart(ctx context.Context, key, uploadID string, size int64, parts []Part) error
	// AbortMultipart discards the upload and every part of it. Aborting an upload that is no
	// longer in progress is not an error.
	AbortMultipart(ctx context.Context, key, uploadID string) error
}

// Part is one stored part of a multipart upload.
type Part struct {
	Number int
	ETag   string // as storage answers it, quotes included
	Size   int64
}

// PutOptions are the headers stored with an object.
type PutOptions struct {
	ContentType  string
	CacheControl string
}

// Presigned is a signed request: its method, URL and the headers it must carry.
type Presigned struct {
	Method    string
	URL       string
	Headers   map[string]string
	ExpiresAt time.Time
}

// GetOptions override response headers of a signed GET. Whatever is set here is what the reader
// gets, whatever headers the object was stored with.
type GetOptions struct {
	ContentDisposition string
	ContentType        string
	// CacheControl and ContentEncoding override what an uploader may have stored with the bytes
	// (a PUT can carry headers its signature does not cover).
	CacheControl    string
	ContentEncoding string
}

// ObjectInfo is what Head reports.
type ObjectInfo struct {
	Size        int64
	ContentType string
}

// Config holds the lifetimes and limits of docs/api.md's configuration table.
type Config struct {
	Retention      time.Duration // RETENTION
	PendingTTL     time.Duration // PENDING_TTL
	FailedTTL      time.Duration // FAILED_TTL
	MaxUploadBytes int64         // MAX_UPLOAD_BYTES
	UploadURLTTL   time.Duration // UPLOAD_URL_TTL
	MediaURLTTL    time.Duration // MEDIA_URL_TTL
	// UploadMinSpeed (UPLOAD_MIN_SPEED, bytes a second) is the slowest upload we promise to
	// wait for: a large file's URL and pending time grow by its size at this rate. 0 adds nothing.
	UploadMinSpeed int64
	// ProcessTimeout (PROCESS_TIMEOUT) bounds one processing run: the process function's timeout.
	// A run holds its track's lease this long, and processing ends within three of them.
	ProcessTimeout time.Duration
	// MultipartThreshold (MULTIPART_THRESHOLD): a file larger than this many bytes is uploaded
	// in parts. 0 uploads every file in one PUT.
	MultipartThreshold int64
	// MinPartSize is the smallest part size a plan may choose, a whole number of MiB: 0 means
	// DefaultMinPartSize. Not configurable from the environment; tests lower it to S3's
	// minimum to upload small files in several parts.
	MinPartSize int64
}

// maxUploadWindow caps how long an upload URL lives however slow the promised rate: URLs signed
// with a Lambda role's temporary credentials cannot be trusted for longer.
const maxUploadWindow = 12 * time.Hour

// transferAllowance is how long size bytes take at UploadMinSpeed.
func (c Config) transferAllowance(size int64) time.Duration {
	if c.UploadMinSpeed <= 0 {
		return 0
	}
	return time.Duration(float64(size) / float64(c.UploadMinSpeed) * float64(time.Second)).Round(time.Second)
}

// UploadWindow returns how long the upload URL of a file of size bytes lives and how long its
// track stays pending. With T the time the file takes at UPLOAD_MIN_SPEED, the URL lives
// UPLOAD_URL_TTL + T and the track PENDING_TTL + 2T: a slow transfer that starts when the URL is
// about to expire still finishes in time (with PENDING_TTL ≥ UPLOAD_URL_TTL, the defaults).
func (c Config) UploadWindow(size int64) (url, pending time.Duration) {
	transfer := c.transferAllowance(size)
	return min(c.UploadURLTTL+transfer, maxUploadWindow), c.PendingTTL + 2*transfer
}

// Service applies the rules of a track's life through a Store and Blobs.
type Service struct {
	Store  Store
	Blobs  Blobs
	Config Config

	// Now and Rand are the clock and the randomness (IDs, tokens, keys); tests pin them.
	Now  func() time.Time
	Rand io.Reader
}

// NewService returns a Service on the real clock and crypto/rand.
func NewService(store Store, blobs Blobs, cfg Config) *Service {
	return &Service{Store: store, Blobs: blobs, Config: cfg, Now: time.Now, Rand: rand.Reader}
}

// maxIDAttempts bounds ID allocation: with 62^8 IDs a second collision in a row means the
// generator is broken, not unlucky.
const maxIDAttempts = 5

// Created is the answer to a new upload.
type Created struct {
	Track       *Track
	Upload      Presigned
	DeleteToken string // shown once; only its hash is stored
}

// Create validates r, allocates a fresh ID with a conditional insert (retrying on collision),
// and signs the upload: one PUT, or for a file over MultipartThreshold a multipart upload begun
// in storage, whose parts SignParts signs. On any error nothing has been written.
func (s *Service) Create(ctx context.Context, r UploadRequest) (*Created, error) {
	return s.create(ctx, r, s.Config.MultipartThreshold > 0 && r.Size > s.Config.MultipartThreshold)
}

// CreatePut is Create with one PUT whatever the size: Soundtime v1 clients know nothing else.
func (s *Service) CreatePut(ctx context.Context, r UploadRequest) (*Created, error) {
	return s.create(ctx, r, false)
}

func (s *Service) create(ctx context.Context, r UploadRequest, multipart bool) (*Created, error) {
	// A multipart upload's MD5 may come with its completion, so that hashing and sending the
	// parts overlap.
	u, err := validate(r, s.Config.MaxUploadBytes, multipart)
	if err != nil {
		return nil, err
	}
	token, err := s.randomToken()
	if err != nil {
		return nil, err
	}
	unique, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, fmt.Errorf("track: new object key: %w", err)
	}
	now := s.Now().UTC().Truncate(time.Second)
	urlTTL, pendingTTL := s.Config.UploadWindow(u.Size)
	for attempt := 0; attempt < maxIDAttempts; attempt++ {
		id, err := NewID(s.Rand)
		if err != nil {
			return nil, err
		}
		t := &Track{
			ID: id, Status: StatusPending,
			Filename: u.Filename, Type: u.Type, Size: u.Size, MD5: u.MD5,
			Downloadable: u.Downloadable, Public: u.Public,
			CreatedAt: now, ExpiresAt: now.Add(pendingTTL),
			OriginalKey:     OriginalKey(id, unique.String()),
			DeleteTokenHash: HashToken(token),
			// The S3 event normally arrives within seconds; the sweeper looks after this in
			// case it never does (an upload that storage accepted is always processed).
			SweepAt: now.Add(pendingSweepDelay),
		}
		var up Presigned
		if multipart {
			if err := s.beginMultipart(ctx, t); err != nil {
				return nil, err
			}
		} else {
			// Sign first: it is local computation, and a failure then leaves nothing behind.
			if up, err = s.Blobs.PresignPut(ctx, t.OriginalKey, t.Type, t.Size, t.MD5, urlTTL); err != nil {
				return nil, fmt.Errorf("track: sign upload %s: %w", id, err)
			}
		}
		err = s.Store.Create(ctx, t)
		if err != nil && multipart {
			// The multipart upload was begun for this ID's key: nothing may stay behind. Should
			// the abort fail too, the bucket's lifecycle rule removes it after a day.
			if aerr := s.Blobs.AbortMultipart(context.WithoutCancel(ctx), t.OriginalKey, t.UploadID); aerr != nil && !errors.Is(err, ErrIDTaken) {
				err = errors.Join(err, aerr)
			}
		}
		switch {
		case errors.Is(err, ErrIDTaken):
			continue
		case err != nil:
			return nil, fmt.Errorf("track: create %s: %w", id, err)
		}
		return &Created{Track: t, Upload: up, DeleteToken: token}, nil
	}
	return nil, fmt.Errorf("track: no free ID after %d attempts", maxIDAttempts)
}

// Get returns a live track, or ErrNotFound for an ID that is malformed, unknown or expired.
// It does not count as a listen.
func (s *Service) Get(ctx context.Context, id string) (*Track, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	t, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Expired(s.Now()) {
		return nil, ErrNotFound
	}
	return t, nil
}

// Listen is Get for a listener: reading a ready track's info, playlist or download slides its
// expiry to now + Retention. The slide is written at most once per Retention/14 per track (once a
// day with the default 14 days), so popular tracks do not turn reads into writes.
func (s *Service) Listen(ctx context.Context, id string) (*Track, error) {
	t, err := s.Get(ctx, id)
	if err != nil || t.Status != StatusReady {
		return t, err
	}
	now := s.Now().UTC().Truncate(time.Second)
	next := now.Add(s.Config.Retention)
	if next.Sub(t.ExpiresAt) < s.Config.Retention/14 {
		return t, nil
	}
	switch err := s.Store.Touch(ctx, id, t.ExpiresAt, next); {
	case err == nil:
		t.ExpiresAt = next
	case errors.Is(err, ErrConflict):
		// Another reader slid it first, or the track was deleted meanwhile. The former leaves
		// it alive for as long as we wanted; the latter is seen by the next read.
	default:
		return nil, fmt.Errorf("track: slide expiry of %s: %w", id, err)
	}
	return t, nil
}

// Download signs a GET of the original that saves under the original file name. A file is
// offered only once processing has shown it is audio: never while pending or processing (the
// service must not host arbitrary files), never for a failed track, whose original is deleted.
func (s *Service) Download(ctx context.Context, id string) (*Track, Presigned, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, Presigned{}, err
	}
	switch {
	case !t.Downloadable:
		return nil, Presigned{}, Errorf(ENotDownloadable, "the uploader made this track stream-only")
	case t.Status == StatusFailed:
		return nil, Presigned{}, errFailed
	case t.Status != StatusReady:
		return nil, Presigned{}, Errorf(ENotReady, "the track is still being processed; the download is offered once it is ready")
	}
	if t, err = s.Listen(ctx, id); err != nil {
		return nil, Presigned{}, err
	}
	p, err := s.Blobs.PresignGet(ctx, t.OriginalKey, GetOptions{
		ContentDisposition: ContentDisposition(t.Filename),
		ContentType:        t.Type,
		// The uploader's PUT may have stored any Content-Encoding or Cache-Control with the
		// bytes (they are not signed): listeners get the bytes as they are, cached privately.
		ContentEncoding: "identity",
		CacheControl:    "private, max-age=" + strconv.Itoa(int(s.Config.MediaURLTTL.Seconds())),
	}, s.Config.MediaURLTTL)
	if err != nil {
		return nil, Presigned{}, fmt.Errorf("track: sign download %s: %w", id, err)
	}
	return t, p, nil
}

// Delete removes a track whose delete token is token. Its objects are removed by the expiry
// path, which the table's stream (or the local runner) triggers on the item's removal; a
// multipart upload still in progress is aborted there too.
func (s *Service) Delete(ctx context.Context, id, token string) (*Track, error) {
	t, err := s.owned(ctx, id, token)
	if err != nil {
		return nil, err
	}
	old, err := s.Store.Delete(ctx, id, t.DeleteTokenHash)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, errForbidden
	case err != nil:
		return nil, err
	}
	return old, nil
}

var errForbidden = Errorf(EForbidden, "a valid delete token is required")

// owned returns the live track id if token is its delete token: ErrNotFound for an unknown or
// expired ID, EForbidden for a missing or wrong token.
func (s *Service) owned(ctx context.Context, id, token string) (*Track, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	h := HashToken(token)
	if token == "" || subtle.ConstantTimeCompare([]byte(h), []byte(t.DeleteTokenHash)) != 1 {
		return nil, errForbidden
	}
	return t, nil
}

// HashToken returns the hex SHA-256 of a delete token. Tokens are 256 random bits, so a plain
// hash is enough: there is nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) randomToken() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.Rand, b[:]); err != nil {
		return "", fmt.Errorf("track: read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
