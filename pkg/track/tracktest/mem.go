// Package tracktest provides in-memory implementations of track.Store and track.Blobs for unit
// tests and benchmarks, and the conformance suites that every Store and every Blobs must pass
// (TestStore runs against MemStore and against the DynamoDB adapter on dynalite, TestBlobs
// against MemBlobs and against the S3 adapter on Versity).
package tracktest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// MemStore is a track.Store in a map. Its hooks, when set, run before each call and may fail it.
type MemStore struct {
	mu    sync.Mutex
	items map[string]track.Track

	// CreateHook, when set, can fail Create before it looks at the map (e.g. to force ErrIDTaken).
	CreateHook func(t *track.Track) error
	// ReplaceHook, when set, can fail Replace before it looks at the map.
	ReplaceHook func(t *track.Track) error
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{items: map[string]track.Track{}} }

var _ track.Store = (*MemStore)(nil)

func (m *MemStore) Create(_ context.Context, t *track.Track) error {
	if m.CreateHook != nil {
		if err := m.CreateHook(t); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[t.ID]; ok {
		return track.ErrIDTaken
	}
	m.items[t.ID] = clone(t)
	return nil
}

func (m *MemStore) Get(_ context.Context, id string) (*track.Track, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.items[id]
	if !ok {
		return nil, track.ErrNotFound
	}
	c := clone(&t)
	return &c, nil
}

func (m *MemStore) Replace(_ context.Context, old, next *track.Track) error {
	if m.ReplaceHook != nil {
		if err := m.ReplaceHook(next); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, ok := m.items[next.ID]
	if !ok || stored.Status != old.Status || stored.Version != old.Version {
		return track.ErrConflict
	}
	next.Version = old.Version + 1
	m.items[next.ID] = clone(next)
	return nil
}

func (m *MemStore) Due(_ context.Context, status track.Status, until time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, t := range m.items {
		inFlight := t.Status == track.StatusPending || t.Status == track.StatusProcessing
		if inFlight && t.Status == status && !t.SweepAt.IsZero() && !t.SweepAt.After(until) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (m *MemStore) Touch(_ context.Context, id string, from, to time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.items[id]
	if !ok || t.Status != track.StatusReady || t.ExpiresAt.Unix() != from.Unix() {
		return track.ErrConflict
	}
	t.ExpiresAt = to.Truncate(time.Second)
	m.items[id] = t
	return nil
}

func (m *MemStore) Extend(_ context.Context, id string, to time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.items[id]
	to = to.Truncate(time.Second)
	if !ok || t.Status != track.StatusPending || !t.ExpiresAt.Before(to) {
		return track.ErrConflict
	}
	t.ExpiresAt = to
	m.items[id] = t
	return nil
}

func (m *MemStore) Delete(_ context.Context, id, tokenHash string) (*track.Track, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.items[id]
	if !ok {
		return nil, track.ErrNotFound
	}
	if t.DeleteTokenHash != tokenHash {
		return nil, track.ErrConflict
	}
	delete(m.items, id)
	return &t, nil
}

// Len returns the number of items.
func (m *MemStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// clone copies t deeply enough that callers cannot change the stored item, and drops what the
// real table does not keep (sub-second times).
func clone(t *track.Track) track.Track {
	c := *t
	if t.Audio != nil {
		a := *t.Audio
		c.Audio = &a
	}
	if t.Tags != nil {
		g := *t.Tags
		c.Tags = &g
	}
	for _, p := range []*time.Time{&c.CreatedAt, &c.UploadedAt, &c.ExpiresAt, &c.LeaseUntil, &c.SweepAt} {
		if !p.IsZero() {
			*p = p.Truncate(time.Second).UTC()
		}
	}
	return c
}

// MemBlobs is a track.Blobs whose objects are a map; its signed URLs are mem:// URLs that carry
// what they were signed for, so tests can read them back.
type MemBlobs struct {
	mu      sync.Mutex
	Objects map[string]track.ObjectInfo
	Data    map[string][]byte
	// Uploads are the multipart uploads in progress, by upload ID.
	Uploads map[string]*MemUpload
	Now     func() time.Time
	// DeleteHook, when set, can fail DeletePrefix before it deletes anything.
	DeleteHook func(prefix string) error
	seq        int
}

// NewMemBlobs returns an empty bucket.
func NewMemBlobs() *MemBlobs {
	return &MemBlobs{Objects: map[string]track.ObjectInfo{}, Data: map[string][]byte{}, Uploads: map[string]*MemUpload{}, Now: time.Now}
}

// PutBytes stores an object with its bytes.
func (b *MemBlobs) PutBytes(key, contentType string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Objects[key] = track.ObjectInfo{Size: int64(len(data)), ContentType: contentType}
	b.Data[key] = append([]byte(nil), data...)
}

func (b *MemBlobs) Get(_ context.Context, key string) (io.ReadCloser, track.ObjectInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, ok := b.Objects[key]
	if !ok {
		return nil, track.ObjectInfo{}, track.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b.Data[key])), info, nil
}

func (b *MemBlobs) Put(_ context.Context, key string, body io.ReadSeeker, size int64, opt track.PutOptions) error {
	data, err := io.ReadAll(io.LimitReader(body, size+1))
	if err != nil {
		return err
	}
	if int64(len(data)) != size {
		return fmt.Errorf("tracktest: put %s: %d bytes, declared %d", key, len(data), size)
	}
	b.PutBytes(key, opt.ContentType, data)
	return nil
}

func (b *MemBlobs) List(_ context.Context, prefix string, fn func(string) error) error {
	for _, k := range b.Keys(prefix) {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

func (b *MemBlobs) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.Objects, key)
	delete(b.Data, key)
	return nil
}

// DeletePrefix refuses the empty prefix, as the S3 adapter does: it would empty the bucket.
func (b *MemBlobs) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("tracktest: refusing to delete the whole bucket")
	}
	if b.DeleteHook != nil {
		if err := b.DeleteHook(prefix); err != nil {
			return 0, err
		}
	}
	keys := b.Keys(prefix)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.Objects, k)
		delete(b.Data, k)
	}
	return len(keys), nil
}

// Keys returns the keys under prefix, sorted.
func (b *MemBlobs) Keys(prefix string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for k := range b.Objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

var _ track.Blobs = (*MemBlobs)(nil)

// Add records an object's size and type without bytes, as an upload would.
func (b *MemBlobs) Add(key string, info track.ObjectInfo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Objects[key] = info
}

func (b *MemBlobs) PresignPut(_ context.Context, key, contentType string, size int64, md5 string, ttl time.Duration) (track.Presigned, error) {
	q := url.Values{"type": {contentType}, "size": {fmt.Sprint(size)}, "md5": {md5}}
	return track.Presigned{
		Method: "PUT", URL: "mem://bucket/" + key + "?" + q.Encode(),
		Headers:   map[string]string{"Content-Type": contentType, "Content-MD5": md5},
		ExpiresAt: b.Now().Add(ttl).UTC().Truncate(time.Second),
	}, nil
}

func (b *MemBlobs) PresignGet(_ context.Context, key string, opt track.GetOptions, ttl time.Duration) (track.Presigned, error) {
	q := url.Values{}
	if opt.ContentDisposition != "" {
		q.Set("response-content-disposition", opt.ContentDisposition)
	}
	if opt.ContentType != "" {
		q.Set("response-content-type", opt.ContentType)
	}
	if opt.CacheControl != "" {
		q.Set("response-cache-control", opt.CacheControl)
	}
	if opt.ContentEncoding != "" {
		q.Set("response-content-encoding", opt.ContentEncoding)
	}
	return track.Presigned{
		Method: "GET", URL: "mem://bucket/" + key + "?" + q.Encode(),
		ExpiresAt: b.Now().Add(ttl).UTC().Truncate(time.Second),
	}, nil
}

func (b *MemBlobs) Head(_ context.Context, key string) (track.ObjectInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, ok := b.Objects[key]
	if !ok {
		return track.ObjectInfo{}, track.ErrNotFound
	}
	return info, nil
}

// MemUpload is a multipart upload in progress in a MemBlobs.
type MemUpload struct {
	Key, ContentType string
	Parts            map[int][]byte
}

// PutPart stores a part of a multipart upload, as the PUT of a URL from PresignPart would, and
// returns its ETag; track.ErrNoSuchUpload if the upload is not in progress.
func (b *MemBlobs) PutPart(uploadID string, number int, data []byte) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.Uploads[uploadID]
	if !ok {
		return "", track.ErrNoSuchUpload
	}
	u.Parts[number] = append([]byte(nil), data...)
	return etag(data), nil
}

func etag(data []byte) string {
	sum := md5.Sum(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (b *MemBlobs) CreateMultipart(_ context.Context, key, contentType string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	id := fmt.Sprintf("mem-upload-%d", b.seq)
	b.Uploads[id] = &MemUpload{Key: key, ContentType: contentType, Parts: map[int][]byte{}}
	return id, nil
}

func (b *MemBlobs) PresignPart(_ context.Context, key, uploadID string, number int, size int64, md5 string, ttl time.Duration) (track.Presigned, error) {
	q := url.Values{"uploadId": {uploadID}, "partNumber": {fmt.Sprint(number)}, "size": {fmt.Sprint(size)}, "md5": {md5}}
	return track.Presigned{
		Method: "PUT", URL: "mem://bucket/" + key + "?" + q.Encode(),
		Headers:   map[string]string{"Content-MD5": md5},
		ExpiresAt: b.Now().Add(ttl).UTC().Truncate(time.Second),
	}, nil
}

func (b *MemBlobs) upload(key, uploadID string) (*MemUpload, error) {
	u, ok := b.Uploads[uploadID]
	if !ok || u.Key != key {
		return nil, track.ErrNoSuchUpload
	}
	return u, nil
}

func (b *MemBlobs) ListParts(_ context.Context, key, uploadID string) ([]track.Part, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.upload(key, uploadID)
	if err != nil {
		return nil, err
	}
	parts := make([]track.Part, 0, len(u.Parts))
	for n, data := range u.Parts {
		parts = append(parts, track.Part{Number: n, ETag: etag(data), Size: int64(len(data))})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// CompleteMultipart checks what S3 checks: every listed part is stored with that ETag, in
// ascending order, and they come to size bytes. It does not hold parts to S3's 5 MiB minimum.
func (b *MemBlobs) CompleteMultipart(_ context.Context, key, uploadID string, size int64, parts []track.Part) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.upload(key, uploadID)
	if err != nil {
		return err
	}
	var whole []byte
	for i, p := range parts {
		data, ok := u.Parts[p.Number]
		if !ok || etag(data) != p.ETag || (i > 0 && p.Number <= parts[i-1].Number) {
			return track.ErrPartsRejected
		}
		whole = append(whole, data...)
	}
	if int64(len(whole)) != size {
		return track.ErrPartsRejected
	}
	delete(b.Uploads, uploadID)
	b.Objects[key] = track.ObjectInfo{Size: size, ContentType: u.ContentType}
	b.Data[key] = whole
	return nil
}

func (b *MemBlobs) AbortMultipart(_ context.Context, key, uploadID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.upload(key, uploadID); err == nil {
		delete(b.Uploads, uploadID)
	}
	return nil
}

// InProgress returns the keys of the multipart uploads in progress, sorted.
func (b *MemBlobs) InProgress() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for _, u := range b.Uploads {
		keys = append(keys, u.Key)
	}
	sort.Strings(keys)
	return keys
}
