package s3_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
)

// pinnedSigner is the SDK's own SigV4 presigner for S3 (as s3.NewPresignClient builds it) at a
// fixed signing time, so that the SDK's presign client can be compared with ours byte for byte.
type pinnedSigner struct {
	v4 *v4.Signer
	at time.Time
}

func (p pinnedSigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, opts ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.v4.PresignHTTP(ctx, c, r, payloadHash, service, region, p.at, opts...)
}

// TestSignerMatchesSDK: for the same credentials, region, bucket and time, our Signer's URLs are
// the SDK presign client's URLs byte for byte (so they bind exactly what they bound: the method,
// the key, the query, the signed headers), path-style against a local endpoint as the local
// servers are addressed and virtual-hosted on AWS as the functions' clients are built.
func TestSignerMatchesSDK(t *testing.T) {
	at := time.Date(2026, 12, 2, 17, 4, 5, 678_000_000, time.UTC)
	creds := aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("ASIAEXAMPLEEXAMPLE12", "secret/with+chars", strings.Repeat("IQoJb3JpZ2luX2Vj", 40)))
	clients := map[string]*s3.Client{
		"path-style local":         s3.New(s3.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String("http://127.0.0.1:7070"), UsePathStyle: true}, s3store.Options),
		"virtual-hosted AWS":       s3.New(s3.Options{Region: "eu-west-1", Credentials: creds}, s3store.Options),
		"virtual-hosted us-east-1": s3.New(s3.Options{Region: "us-east-1", Credentials: creds}, s3store.Options),
		"no session token":         s3.New(s3.Options{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "s", "")}, s3store.Options),
	}
	buckets := []string{"media", "soundtime-prod-media-123456789012-eu-west-1"}
	keys := []string{
		"originals/Ab3dEf9Z/0b1c8f8e-3d2a-4f6b-9c1e-2a7d5e4f3b21",
		"derived/Ab3dEf9Z/cover.jpg",
		"a key with spaces",
		"ünïcödé/Sét à Montréal — 東京.mp3",
		"plus+tilde~star*paren(1)!quote'",
		"semi;colon,comma=eq&amp?q#hash%25percent",
		"/leading/slash//double//",
		"trailing/",
		strings.Repeat("long-key-segment/", 60) + "end",
	}
	ttls := []time.Duration{0, time.Second, 15 * time.Minute, 36 * time.Hour, 7 * 24 * time.Hour}
	gets := []track.GetOptions{
		{},
		{ContentDisposition: `attachment; filename="Set at the Roundhouse (live).mp3"; filename*=UTF-8''Set%20at%20the%20Roundhouse%20%28live%29.mp3`},
		{ContentType: "audio/ogg", CacheControl: "private, max-age=3600", ContentEncoding: "identity"},
		{ContentDisposition: "inline", ContentType: "application/vnd.apple.mpegurl; charset=utf-8"},
	}
	types := []string{"audio/mpeg", "audio/ogg; codecs=opus", "audio/x-wav", "application/octet-stream"}
	md5s := []string{"1B2M2Y8AsgTpgAmY7PhCfg==", "XrY7u+Ae7tCTyyK7j1rNww=="}
	sizes := []int64{1, 12_345, 5 << 30}

	ctx := context.Background()
	n := 0
	for name, c := range clients {
		sdk := s3.NewPresignClient(c, func(o *s3.PresignOptions) {
			o.Presigner = pinnedSigner{v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }), at}
		})
		for _, bucket := range buckets {
			ours := s3store.NewSigner(c, bucket)
			ours.Now = func() time.Time { return at }
			for i, key := range keys {
				ttl := ttls[i%len(ttls)]
				for j, opt := range gets {
					want, err := sdk.PresignGetObject(ctx, &s3.GetObjectInput{
						Bucket: &bucket, Key: &key,
						ResponseContentDisposition: nonEmpty(opt.ContentDisposition), ResponseContentType: nonEmpty(opt.ContentType),
						ResponseCacheControl: nonEmpty(opt.CacheControl), ResponseContentEncoding: nonEmpty(opt.ContentEncoding),
					}, s3.WithPresignExpires(ttls[(i+j)%len(ttls)]))
					if err != nil {
						t.Fatal(err)
					}
					got, exp, err := ours.PresignGet(ctx, key, opt, ttls[(i+j)%len(ttls)])
					check(t, name+" get "+key, want, http.MethodGet, got, exp, err, at, ttls[(i+j)%len(ttls)])
					n++
				}
				ct, sum, size := types[i%len(types)], md5s[i%len(md5s)], sizes[i%len(sizes)]
				want, err := sdk.PresignPutObject(ctx, &s3.PutObjectInput{
					Bucket: &bucket, Key: &key, ContentType: &ct, ContentLength: &size, ContentMD5: &sum,
				}, s3.WithPresignExpires(ttl))
				if err != nil {
					t.Fatal(err)
				}
				if h := want.SignedHeader; h.Get("Content-Md5") != sum || h.Get("Content-Type") != ct || h.Get("Content-Length") == "" {
					t.Fatalf("%s: the SDK's PUT signs %v", name, h)
				}
				got, exp, err := ours.PresignPut(ctx, key, ct, size, sum, ttl)
				check(t, name+" put "+key, want, http.MethodPut, got, exp, err, at, ttl)
				n++
				for _, part := range []int{1, 37, 10_000} {
					upload := "2~Vx5Jq0fXb+QkS/upload=id&" + key[:min(len(key), 8)]
					want, err := sdk.PresignUploadPart(ctx, &s3.UploadPartInput{
						Bucket: &bucket, Key: &key, UploadId: &upload, PartNumber: aws.Int32(int32(part)),
						ContentLength: &size, ContentMD5: &sum,
					}, s3.WithPresignExpires(ttl))
					if err != nil {
						t.Fatal(err)
					}
					if h := want.SignedHeader; h.Get("Content-Md5") != sum || h.Get("Content-Length") == "" {
						t.Fatalf("%s: the SDK's part signs %v", name, h)
					}
					got, exp, err := ours.PresignPart(ctx, key, upload, part, size, sum, ttl)
					check(t, name+" part "+key, want, http.MethodPut, got, exp, err, at, ttl)
					n++
				}
			}
		}
	}
	t.Logf("%d URLs equal", n)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func check(t *testing.T, what string, want *v4.PresignedHTTPRequest, method, got string, exp time.Time, err error, at time.Time, ttl time.Duration) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if want.Method != method {
		t.Fatalf("%s: the SDK signs %s, we sign %s", what, want.Method, method)
	}
	if got != want.URL {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want.URL)
	}
	if ttl == 0 {
		ttl = 900 * time.Second
	}
	if w := at.Truncate(time.Second).Add(ttl); !exp.Equal(w) {
		t.Fatalf("%s: expires %v, want %v", what, exp, w)
	}
}

// BenchmarkPresignGet signs a track read's GET (a response override, a Lambda-sized session
// token) with the SDK's presign client and with Signer, on the same client:
//
//	go test -run '^$' -bench PresignGet -benchmem ./pkg/s3/
func BenchmarkPresignGet(b *testing.B) {
	creds := aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("ASIAEXAMPLEEXAMPLE12", "secret", strings.Repeat("IQoJb3JpZ2luX2VjEJr", 53)))
	c := s3.New(s3.Options{Region: "eu-west-1", Credentials: creds}, s3store.Options)
	bucket, key := "soundtime-prod-media-123456789012-eu-west-1", "derived/Bench001/preview.ogg"
	opt := track.GetOptions{ContentType: "audio/ogg"}
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		p := s3.NewPresignClient(c)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, ResponseContentType: &opt.ContentType}, s3.WithPresignExpires(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("signer", func(b *testing.B) {
		s := s3store.NewSigner(c, bucket)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := s.PresignGet(ctx, key, opt, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
}
