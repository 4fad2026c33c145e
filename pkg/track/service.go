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
	// Replace writes t whole if the stored item exists and has status from, else returns
	// ErrConflict (nothing written).
	Replace(ctx context.Context, t *Track, from Status) error
	// Touch sets the expiry of a ready track to to, if its expiry is still from; else ErrConflict.
	Touch(ctx context.Context, id string, from, to time.Time) error
	// Delete removes the item if its delete token hash is tokenHash and returns what it held;
	// ErrNotFound if there is no item, ErrConflict if the hash differs.
	Delete(ctx context.Context, id, tokenHash string) (*Track, error)
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
	// DeletePrefix deletes every object under prefix and returns how many it deleted. Deleting
	// nothing is not an error.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
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

// GetOptions override response headers of a signed GET.
type GetOptions struct {
	ContentDisposition string
	ContentType        string
}

// ObjectInfo is what Head reports.
type ObjectInfo struct {
	Size        int64
	ContentType string
}

// Config holds the lifetimes and limits of API.md's configuration table.
type Config struct {
	Retention      time.Duration // RETENTION
	PendingTTL     time.Duration // PENDING_TTL
	FailedTTL      time.Duration // FAILED_TTL
	MaxUploadBytes int64         // MAX_UPLOAD_BYTES
	UploadURLTTL   time.Duration // UPLOAD_URL_TTL
	MediaURLTTL    time.Duration // MEDIA_URL_TTL
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
// and signs the upload. On any error nothing has been written.
func (s *Service) Create(ctx context.Context, r UploadRequest) (*Created, error) {
	u, err := Validate(r, s.Config.MaxUploadBytes)
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
	for attempt := 0; attempt < maxIDAttempts; attempt++ {
		id, err := NewID(s.Rand)
		if err != nil {
			return nil, err
		}
		t := &Track{
			ID: id, Status: StatusPending,
			Filename: u.Filename, Type: u.Type, Size: u.Size, MD5: u.MD5,
			Downloadable: u.Downloadable, Public: u.Public,
			CreatedAt: now, ExpiresAt: now.Add(s.Config.PendingTTL),
			OriginalKey:     OriginalKey(id, unique.String()),
			DeleteTokenHash: HashToken(token),
		}
		// Sign first: it is local computation, and a failure then leaves nothing behind.
		up, err := s.Blobs.PresignPut(ctx, t.OriginalKey, t.Type, t.Size, t.MD5, s.Config.UploadURLTTL)
		if err != nil {
			return nil, fmt.Errorf("track: sign upload %s: %w", id, err)
		}
		switch err := s.Store.Create(ctx, t); {
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

// Download signs a GET of the original that saves under the original file name.
func (s *Service) Download(ctx context.Context, id string) (*Track, Presigned, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, Presigned{}, err
	}
	switch {
	case !t.Downloadable:
		return nil, Presigned{}, Errorf(ENotDownloadable, "the uploader made this track stream-only")
	case t.Status == StatusPending:
		return nil, Presigned{}, Errorf(ENotUploaded, "the file has not been uploaded yet")
	case t.Status == StatusFailed:
		return nil, Presigned{}, Errorf(ETrackFailed, "this upload could not be processed")
	}
	if t, err = s.Listen(ctx, id); err != nil {
		return nil, Presigned{}, err
	}
	p, err := s.Blobs.PresignGet(ctx, t.OriginalKey, GetOptions{
		ContentDisposition: ContentDisposition(t.Filename),
		ContentType:        t.Type,
	}, s.Config.MediaURLTTL)
	if err != nil {
		return nil, Presigned{}, fmt.Errorf("track: sign download %s: %w", id, err)
	}
	return t, p, nil
}

// Delete removes a track whose delete token is token. Its objects are removed by the expiry
// path, which the table's stream (or the local runner) triggers on the item's removal.
func (s *Service) Delete(ctx context.Context, id, token string) (*Track, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	h := HashToken(token)
	if token == "" || subtle.ConstantTimeCompare([]byte(h), []byte(t.DeleteTokenHash)) != 1 {
		return nil, Errorf(EForbidden, "a valid delete token is required")
	}
	old, err := s.Store.Delete(ctx, id, h)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, Errorf(EForbidden, "a valid delete token is required")
	case err != nil:
		return nil, err
	}
	return old, nil
}

// MarkUploaded handles the arrival of an original in the bucket: the key must be the one signed
// for a pending track, and the object must be what was announced (size and type). Then the
// track moves pending → processing and now lives Retention. It returns the track in its new
// state; (nil, nil) means the event needed no work: a duplicate, a late event or a key of no track.
// A mismatching object fails the track.
func (s *Service) MarkUploaded(ctx context.Context, key string) (*Track, error) {
	t, err := s.originalOf(ctx, key)
	if t == nil || err != nil {
		return nil, err
	}
	if t.Status != StatusPending {
		return nil, nil
	}
	info, err := s.Blobs.Head(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		// The event outran a delete of the object, or was replayed after cleanup.
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("track: head %s: %w", key, err)
	}
	now := s.Now().UTC().Truncate(time.Second)
	next := *t
	next.UploadedAt = now
	if info.Size != t.Size || !sameType(info.ContentType, t.Type) {
		next.Status = StatusFailed
		next.FailureCode = EUploadMismatch
		next.FailureMessage = "the uploaded file is not the one announced (size or type differ)"
		next.ExpiresAt = now.Add(s.Config.FailedTTL)
	} else {
		next.Status = StatusProcessing
		next.ExpiresAt = now.Add(s.Config.Retention)
	}
	switch err := s.Store.Replace(ctx, &next, StatusPending); {
	case errors.Is(err, ErrConflict):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("track: mark %s uploaded: %w", t.ID, err)
	}
	return &next, nil
}

// originalOf returns the track whose original key is key; (nil, nil) for a key of no track.
func (s *Service) originalOf(ctx context.Context, key string) (*Track, error) {
	id, ok := IDFromKey(key)
	if !ok {
		return nil, nil
	}
	t, err := s.Store.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if t.OriginalKey != key {
		return nil, nil
	}
	return t, nil
}

func sameType(got, want string) bool {
	n, err := NormalizeType(got)
	return err == nil && n == want
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
