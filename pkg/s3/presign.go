package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/soundtime/soundtime/pkg/track"
)

// Signer signs the URLs of one bucket's objects itself: it builds the request the SDK's
// presign client would build (the same URL, path-style or virtual-hosted as the client is
// configured, the same query and headers) and hands it to the SDK's SigV4 signer
// (v4.Signer.PresignHTTP) directly. The SDK's presign client runs the operation's whole middleware
// stack for every URL (about 30 kB allocated each, three URLs per track read); what the stack
// decides is the same for every URL of a bucket (the endpoint, the signing name and region), so
// it is decided once, in NewSigner. TestSignerMatchesSDK holds the URLs equal byte for byte.
type Signer struct {
	scheme, host string
	// path and rawPath are the bucket's part of the URL's path, unescaped and escaped: "/media"
	// path-style, "" virtual-hosted.
	path, rawPath string
	region        string
	creds         aws.CredentialsProvider
	v4            *v4.Signer
	// err is the endpoint's resolution error, returned by every signature.
	err error
	// Now is the signing clock; tests pin it.
	Now func() time.Time
}

// NewSigner returns the Signer of bucket's objects as client would presign them. The endpoint is
// resolved as the SDK resolves it (its EndpointResolverV2 on the client's region, base endpoint and
// addressing style); an error there is kept and returned by every signature.
func NewSigner(client *s3.Client, bucket string) *Signer {
	return NewSignerFromOptions(client.Options(), bucket)
}

// NewSignerFromOptions returns the Signer of bucket's objects as a client made with o would presign
// them, without the client: a function that only signs (the pages) never calls s3.New, which
// stores the client in an interface and so keeps every S3 operation in a binary that executes
// templates (docs/design.md, "Handlers at the floor").
func NewSignerFromOptions(o s3.Options, bucket string) *Signer {
	s := &Signer{
		region: o.Region,
		creds:  o.Credentials,
		// As the SDK's presign client signs for S3: the path is escaped once, by the request's
		// serialiser (httpbinding.EscapePath), not again by the signer.
		v4:  v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }),
		Now: time.Now,
	}
	if s.creds == nil {
		s.err = errors.New("s3: the client has no credentials")
		return s
	}
	resolver := o.EndpointResolverV2
	if resolver == nil {
		resolver = s3.NewDefaultEndpointResolverV2()
	}
	ep, err := resolver.ResolveEndpoint(context.Background(), s3.EndpointParameters{
		Bucket:                         &bucket,
		Region:                         &o.Region,
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
	})
	if err != nil {
		s.err = fmt.Errorf("s3: resolve the endpoint of bucket %s: %w", bucket, err)
		return s
	}
	s.scheme, s.host = ep.URI.Scheme, ep.URI.Host
	s.path, s.rawPath = ep.URI.Path, ep.URI.RawPath
	if s.rawPath == "" {
		s.rawPath = s.path
	}
	return s
}

// PresignPut signs a PutObject of key (S3's x-id=PutObject) binding its Content-Type,
// Content-Length and Content-MD5.
func (s *Signer) PresignPut(ctx context.Context, key, contentType string, size int64, md5 string, ttl time.Duration) (string, time.Time, error) {
	h := http.Header{"Content-Md5": {md5}, "Content-Type": {contentType}}
	return s.presign(ctx, http.MethodPut, key, url.Values{"x-id": {"PutObject"}}, h, size, ttl)
}

// PresignGet signs a GetObject of key (S3's x-id=GetObject) with opt's response overrides.
func (s *Signer) PresignGet(ctx context.Context, key string, opt track.GetOptions, ttl time.Duration) (string, time.Time, error) {
	q := url.Values{"x-id": {"GetObject"}}
	for _, p := range [...]struct{ name, value string }{
		{"response-cache-control", opt.CacheControl},
		{"response-content-disposition", opt.ContentDisposition},
		{"response-content-encoding", opt.ContentEncoding},
		{"response-content-type", opt.ContentType},
	} {
		if p.value != "" {
			q[p.name] = []string{p.value}
		}
	}
	return s.presign(ctx, http.MethodGet, key, q, http.Header{}, 0, ttl)
}

// PresignPart signs an UploadPart (S3's x-id=UploadPart) of part number of uploadID, binding its
// Content-Length and Content-MD5.
func (s *Signer) PresignPart(ctx context.Context, key, uploadID string, number int, size int64, md5 string, ttl time.Duration) (string, time.Time, error) {
	q := url.Values{"x-id": {"UploadPart"}, "partNumber": {strconv.Itoa(number)}, "uploadId": {uploadID}}
	return s.presign(ctx, http.MethodPut, key, q, http.Header{"Content-Md5": {md5}}, size, ttl)
}

// presign signs method on key with the query and headers given; it returns the URL and when it
// dies (the signing time, which SigV4 writes to the second, plus ttl: what S3 enforces).
func (s *Signer) presign(ctx context.Context, method, key string, query url.Values, header http.Header, size int64, ttl time.Duration) (string, time.Time, error) {
	if s.err != nil {
		return "", time.Time{}, s.err
	}
	// The SDK's presign client signs for 900 s when asked for 0 and refuses a negative duration.
	if ttl < 0 {
		return "", time.Time{}, fmt.Errorf("presign URL duration must be 0 or greater, %v", ttl)
	}
	if ttl == 0 {
		ttl = 900 * time.Second
	}
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("s3: credentials: %w", err)
	}
	query["X-Amz-Expires"] = []string{strconv.FormatInt(int64(ttl/time.Second), 10)}
	req := &http.Request{
		Method: method,
		URL: &url.URL{
			Scheme: s.scheme, Host: s.host,
			// The key is one greedy label of S3's URI ("/{Key+}"): everything but the unreserved
			// characters and "/" is escaped, as the SDK's serialiser does.
			Path: s.path + "/" + key, RawPath: s.rawPath + "/" + httpbinding.EscapePath(key, false),
			RawQuery: query.Encode(),
		},
		Host:          s.host,
		Header:        header,
		ContentLength: size,
	}
	now := s.Now().UTC().Truncate(time.Second)
	signed, _, err := s.v4.PresignHTTP(ctx, creds, req, unsignedPayload, "s3", s.region, now)
	if err != nil {
		return "", time.Time{}, err
	}
	return signed, now.Add(ttl), nil
}

// unsignedPayload is the payload hash of a presigned S3 URL: the body is not known when signing.
const unsignedPayload = "UNSIGNED-PAYLOAD"
