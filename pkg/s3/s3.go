// Package s3 keeps media in one S3 bucket: it signs uploads and downloads and reads, writes,
// lists and deletes objects. It owns the narrow interfaces of the SDK calls it makes and
// translates S3's errors into track's sentinels.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/soundtime/soundtime/pkg/track"
)

// API is the part of *s3.Client the bucket uses.
type API interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	ListParts(ctx context.Context, in *s3.ListPartsInput, opts ...func(*s3.Options)) (*s3.ListPartsOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// Bucket implements track.Blobs on one bucket.
type Bucket struct {
	API API
	// Sign signs the URLs of the bucket's objects (NewSigner).
	Sign *Signer
	Name string
	// PartsPage is how many parts one ListParts request asks for; 0 is S3's default (1,000).
	// Tests lower it to see ListParts page.
	PartsPage int32
}

// New returns a Bucket over client. The client should be built with Options (below).
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{API: client, Sign: NewSigner(client, name), Name: name}
}

// Options are the client options every Soundtime S3 client needs. Checksums are computed only
// when an operation requires them: the SDK's default adds a CRC32 checksum to presigned PUTs,
// which the browser cannot compute up front, and which S3 would not check when hoisted into the
// query string anyway (aws-sdk-go-v2 #2610). Content-MD5 binds the bytes instead.
func Options(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

var _ track.Blobs = (*Bucket)(nil)

// PresignPut implements track.Blobs. The signature covers Content-Type, Content-Length and
// Content-MD5, so S3 itself refuses any other type, length or bytes.
func (b *Bucket) PresignPut(ctx context.Context, key, contentType string, size int64, md5 string, ttl time.Duration) (track.Presigned, error) {
	url, exp, err := b.Sign.PresignPut(ctx, key, contentType, size, md5, ttl)
	if err != nil {
		return track.Presigned{}, fmt.Errorf("s3: presign put %s: %w", key, err)
	}
	return track.Presigned{
		Method: http.MethodPut,
		URL:    url,
		// Host and Content-Length are set by every HTTP client on its own; these two are the ones
		// the uploader must send as given.
		Headers:   map[string]string{"Content-Type": contentType, "Content-MD5": md5},
		ExpiresAt: exp,
	}, nil
}

// PresignGet implements track.Blobs.
func (b *Bucket) PresignGet(ctx context.Context, key string, opt track.GetOptions, ttl time.Duration) (track.Presigned, error) {
	url, exp, err := b.Sign.PresignGet(ctx, key, opt, ttl)
	if err != nil {
		return track.Presigned{}, fmt.Errorf("s3: presign get %s: %w", key, err)
	}
	return track.Presigned{Method: http.MethodGet, URL: url, ExpiresAt: exp}, nil
}

// Head implements track.Blobs.
func (b *Bucket) Head(ctx context.Context, key string) (track.ObjectInfo, error) {
	out, err := b.API.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return track.ObjectInfo{}, translate(fmt.Sprintf("s3: head %s", key), err)
	}
	return track.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType)}, nil
}

// Get implements track.Blobs.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, track.ObjectInfo, error) {
	out, err := b.API.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return nil, track.ObjectInfo{}, translate(fmt.Sprintf("s3: get %s", key), err)
	}
	return out.Body, track.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType)}, nil
}

// Put implements track.Blobs. The body is a ReadSeeker so that the SDK can hash it for the
// signature and rewind it for a retry without buffering it in memory.
func (b *Bucket) Put(ctx context.Context, key string, body io.ReadSeeker, size int64, opt track.PutOptions) error {
	in := &s3.PutObjectInput{Bucket: &b.Name, Key: &key, Body: body, ContentLength: &size}
	if opt.ContentType != "" {
		in.ContentType = &opt.ContentType
	}
	if opt.CacheControl != "" {
		in.CacheControl = &opt.CacheControl
	}
	if _, err := b.API.PutObject(ctx, in); err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// List implements track.Blobs.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(key string) error) error {
	p := s3.NewListObjectsV2Paginator(b.API, &s3.ListObjectsV2Input{Bucket: &b.Name, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3: list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(aws.ToString(o.Key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements track.Blobs. S3 answers a delete of a missing key with success.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if _, err := b.API.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.Name, Key: &key}); err != nil {
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	return nil
}

// DeletePrefix implements track.Blobs: it lists a page of keys and deletes them in one
// DeleteObjects call (at most 1,000 keys, S3's limit), page after page.
func (b *Bucket) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("s3: refusing to delete the whole bucket")
	}
	deleted := 0
	for {
		page, err := b.API.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b.Name, Prefix: &prefix, MaxKeys: aws.Int32(1000)})
		if err != nil {
			return deleted, fmt.Errorf("s3: list %s: %w", prefix, err)
		}
		if len(page.Contents) == 0 {
			return deleted, nil
		}
		ids := make([]types.ObjectIdentifier, 0, len(page.Contents))
		for _, o := range page.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		}
		out, err := b.API.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &b.Name,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return deleted, fmt.Errorf("s3: delete under %s: %w", prefix, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return deleted, fmt.Errorf("s3: delete %s: %s %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
		deleted += len(ids)
		if !aws.ToBool(page.IsTruncated) {
			return deleted, nil
		}
	}
}

// translate maps S3's "does not exist" answers to track.ErrNotFound and wraps the rest.
func translate(context string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk), errors.As(err, &nf):
		return track.ErrNotFound
	case errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey"):
		return track.ErrNotFound
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return track.ErrNotFound
	}
	return fmt.Errorf("%s: %w", context, err)
}

// Ping reports whether the bucket answers. It asks for an object that never exists: any S3
// answer (404, or 403 for a role that may not list) proves the bucket is reachable, without
// needing s3:ListBucket.
func (b *Bucket) Ping(ctx context.Context) error {
	key := track.DerivedPrefix + ".healthz"
	_, err := b.API.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.Name, Key: &key})
	var re interface{ HTTPStatusCode() int }
	if err == nil || errors.As(err, &re) && re.HTTPStatusCode() < 500 {
		return nil
	}
	return fmt.Errorf("s3: ping %s: %w", b.Name, err)
}

// CreateMultipart implements track.Blobs. The object's type is fixed here, as a single PUT's
// signature fixes it.
func (b *Bucket) CreateMultipart(ctx context.Context, key, contentType string) (string, error) {
	out, err := b.API.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b.Name, Key: &key, ContentType: &contentType})
	if err != nil {
		return "", fmt.Errorf("s3: create multipart upload %s: %w", key, err)
	}
	if aws.ToString(out.UploadId) == "" {
		return "", fmt.Errorf("s3: create multipart upload %s: no upload ID", key)
	}
	return aws.ToString(out.UploadId), nil
}

// PresignPart implements track.Blobs. The signature covers Content-Length and Content-MD5, so
// S3 itself refuses any other length or bytes (BadDigest, SignatureDoesNotMatch).
func (b *Bucket) PresignPart(ctx context.Context, key, uploadID string, number int, size int64, md5 string, ttl time.Duration) (track.Presigned, error) {
	url, exp, err := b.Sign.PresignPart(ctx, key, uploadID, number, size, md5, ttl)
	if err != nil {
		return track.Presigned{}, fmt.Errorf("s3: presign part %d of %s: %w", number, key, err)
	}
	return track.Presigned{Method: http.MethodPut, URL: url, Headers: map[string]string{"Content-MD5": md5}, ExpiresAt: exp}, nil
}

// ListParts implements track.Blobs, page after page.
func (b *Bucket) ListParts(ctx context.Context, key, uploadID string) ([]track.Part, error) {
	in := &s3.ListPartsInput{Bucket: &b.Name, Key: &key, UploadId: &uploadID}
	if b.PartsPage > 0 {
		in.MaxParts = &b.PartsPage
	}
	var parts []track.Part
	p := s3.NewListPartsPaginator(b.API, in, func(o *s3.ListPartsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, multipartError(fmt.Sprintf("s3: list parts of %s", key), err)
		}
		for _, part := range page.Parts {
			parts = append(parts, track.Part{Number: int(aws.ToInt32(part.PartNumber)), ETag: aws.ToString(part.ETag), Size: aws.ToInt64(part.Size)})
		}
	}
	return parts, nil
}

// CompleteMultipart implements track.Blobs. S3 checks the total size too (x-amz-mp-object-size).
func (b *Bucket) CompleteMultipart(ctx context.Context, key, uploadID string, size int64, parts []track.Part) error {
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(p.ETag)}
	}
	_, err := b.API.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.Name, Key: &key, UploadId: &uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
		MpuObjectSize:   &size,
	})
	if err != nil {
		return multipartError(fmt.Sprintf("s3: complete multipart upload %s", key), err)
	}
	return nil
}

// AbortMultipart implements track.Blobs: S3's NoSuchUpload (completed or aborted before) is
// success.
func (b *Bucket) AbortMultipart(ctx context.Context, key, uploadID string) error {
	_, err := b.API.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.Name, Key: &key, UploadId: &uploadID})
	if err = multipartError(fmt.Sprintf("s3: abort multipart upload %s", key), err); err != nil && !errors.Is(err, track.ErrNoSuchUpload) {
		return err
	}
	return nil
}

// multipartError maps S3's answers about multipart uploads to track's sentinels: NoSuchUpload to
// ErrNoSuchUpload; a part it does not hold, parts out of order, a part too small or a total
// other than announced to ErrPartsRejected.
func multipartError(context string, err error) error {
	if err == nil {
		return nil
	}
	var nsu *types.NoSuchUpload
	var api smithy.APIError
	switch {
	case errors.As(err, &nsu):
		return fmt.Errorf("%s: %w", context, track.ErrNoSuchUpload)
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "NoSuchUpload":
			return fmt.Errorf("%s: %w", context, track.ErrNoSuchUpload)
		case "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidRequest":
			return fmt.Errorf("%s: %w: %s", context, track.ErrPartsRejected, api.ErrorMessage())
		}
	}
	return fmt.Errorf("%s: %w", context, err)
}
