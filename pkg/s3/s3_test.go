package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func md5b64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func newBucket(t *testing.T) *s3store.Bucket {
	t.Helper()
	st := localawstest.StartTest(t, "")
	c := st.S3()
	if err := localaws.EnsureBucket(context.Background(), c, "media", "http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	// A second call must be harmless: the runner calls it at every start.
	if err := localaws.EnsureBucket(context.Background(), c, "media", "http://127.0.0.1:8080"); err != nil {
		t.Fatalf("EnsureBucket is not idempotent: %v", err)
	}
	return s3store.New(c, "media")
}

// TestBlobs runs the track.Blobs conformance suite against Versity, a real implementation of
// the S3 API, through the SDK calls the functions make in AWS, and sends the URLs it signs. The
// tests beside it prove what the suite cannot ask of a fake: that the signatures bind.
func TestBlobs(t *testing.T) {
	c := localawstest.StartTest(t, "").S3()
	n := 0
	tracktest.TestBlobs(t, func(t *testing.T) track.Blobs {
		n++
		name := fmt.Sprintf("blobs%d", n)
		if err := localaws.EnsureBucket(context.Background(), c, name, "http://127.0.0.1:8080"); err != nil {
			t.Fatal(err)
		}
		return s3store.New(c, name)
	}, tracktest.BlobsOptions{Client: http.DefaultClient})
}

func do(t *testing.T, method, url string, headers map[string]string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestPresignedPutBinds proves against a real S3 implementation that the signature of an upload
// URL binds the bytes (Content-MD5), the type and the length, and expires.
func TestPresignedPutBinds(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	body := []byte("ID3 this stands in for an mp3 file")
	sum := md5b64(body)

	sign := func(t *testing.T, key string, ttl time.Duration) track.Presigned {
		p, err := b.PresignPut(ctx, key, "audio/mpeg", int64(len(body)), sum, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != http.MethodPut || p.Headers["Content-Type"] != "audio/mpeg" || p.Headers["Content-MD5"] != sum {
			t.Fatalf("presigned = %+v", p)
		}
		if strings.Contains(p.URL, "x-amz-checksum") || strings.Contains(p.URL, "x-amz-sdk-checksum") {
			t.Fatalf("URL carries an SDK checksum the client cannot send: %s", p.URL)
		}
		return p
	}

	other := bytes.Repeat([]byte("x"), len(body))
	otherSum := md5b64(other)
	cases := []struct {
		name    string
		headers func(p track.Presigned) map[string]string
		body    []byte
		want    int
		errCode string
	}{
		{"right bytes", func(p track.Presigned) map[string]string { return p.Headers }, body, 200, ""},
		{"other bytes, same MD5 header", func(p track.Presigned) map[string]string { return p.Headers }, other, 400, "BadDigest"},
		{"other bytes with their own MD5", func(p track.Presigned) map[string]string {
			return map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": otherSum}
		}, other, 403, "SignatureDoesNotMatch"},
		{"other Content-Type", func(p track.Presigned) map[string]string {
			return map[string]string{"Content-Type": "text/html", "Content-MD5": sum}
		}, body, 403, "SignatureDoesNotMatch"},
		{"missing Content-MD5", func(p track.Presigned) map[string]string {
			return map[string]string{"Content-Type": "audio/mpeg"}
		}, body, 403, "SignatureDoesNotMatch"},
		{"longer body", func(p track.Presigned) map[string]string { return p.Headers }, append(append([]byte{}, body...), '!'), 403, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "uploads/Ab3dEf9Z/" + string(rune('a'+i))
			p := sign(t, key, time.Minute)
			status, resp, _ := do(t, p.Method, p.URL, c.headers(p), c.body)
			if status != c.want || (c.errCode != "" && !strings.Contains(resp, c.errCode)) {
				t.Fatalf("PUT = %d %s, want %d %s", status, resp, c.want, c.errCode)
			}
			_, err := b.Head(ctx, key)
			if c.want == 200 && err != nil {
				t.Fatalf("accepted object not there: %v", err)
			}
			if c.want != 200 && !errors.Is(err, track.ErrNotFound) {
				t.Fatalf("refused upload left an object (Head err = %v)", err)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		p := sign(t, "uploads/Ab3dEf9Z/expired", time.Second)
		time.Sleep(2100 * time.Millisecond)
		status, resp, _ := do(t, p.Method, p.URL, p.Headers, body)
		if status != 403 || !strings.Contains(resp, "expired") {
			t.Fatalf("PUT after expiry = %d %s, want 403 expired", status, resp)
		}
	})
}

// TestPresignedGetBinds: a download URL whose signature was altered is refused. What a signed
// GET serves, and with which headers, is the suite's (TestBlobs).
func TestPresignedGetBinds(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	body := []byte("original bytes")
	if err := b.Put(ctx, "uploads/Ab3dEf9Z/x", bytes.NewReader(body), int64(len(body)), track.PutOptions{ContentType: "audio/flac"}); err != nil {
		t.Fatal(err)
	}
	disp := track.ContentDisposition("Söng \"live\"; a,b.flac")
	g, err := b.PresignGet(ctx, "uploads/Ab3dEf9Z/x", track.GetOptions{ContentDisposition: disp, ContentType: "audio/flac"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status, got, _ := do(t, http.MethodGet, g.URL, nil, nil); status != 200 || got != string(body) {
		t.Fatalf("GET = %d %q", status, got)
	}
	bad := strings.Replace(g.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if status, _, _ := do(t, http.MethodGet, bad, nil, nil); status != 403 {
		t.Fatalf("tampered GET = %d, want 403", status)
	}
	// An override is signed too: changing it breaks the signature.
	other := strings.Replace(g.URL, "response-content-type=audio%2Fflac", "response-content-type=text%2Fhtml", 1)
	if other == g.URL {
		t.Fatalf("no response-content-type=audio%%2Fflac in %s", g.URL)
	}
	if status, _, _ := do(t, http.MethodGet, other, nil, nil); status != 403 {
		t.Fatalf("GET with another response-content-type = %d, want 403", status)
	}
}

// TestListAndDeletePrefixPages: List and DeletePrefix go past S3's 1,000 keys a page (and a
// DeleteObjects call). The rest of their contract is the suite's (TestBlobs).
func TestListAndDeletePrefixPages(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	put := func(key string) {
		if err := b.Put(ctx, key, strings.NewReader("x"), 1, track.PutOptions{ContentType: "text/plain"}); err != nil {
			t.Fatal(err)
		}
	}
	keep := []string{"derived/Keep00aa/preview.ogg", "uploads/Keep00aa/u"}
	for _, k := range keep {
		put(k)
	}
	// More than one DeleteObjects batch.
	for i := range 1003 {
		put(fmt.Sprintf("derived/Gone00aa/hls/seg%05d.ts", i))
	}
	put("derived/Gone00aa/preview.ogg")
	var listed []string
	if err := b.List(ctx, "derived/Gone00aa/", func(k string) error { listed = append(listed, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1004 {
		t.Fatalf("listed %d keys, want 1004", len(listed))
	}
	n, err := b.DeletePrefix(ctx, "derived/Gone00aa/")
	if err != nil || n != 1004 {
		t.Fatalf("DeletePrefix = %d, %v", n, err)
	}
	if n, err := b.DeletePrefix(ctx, "derived/Gone00aa/"); err != nil || n != 0 {
		t.Fatalf("second DeletePrefix = %d, %v", n, err)
	}
	var left []string
	b.List(ctx, "", func(k string) error { left = append(left, k); return nil })
	if !slices.Equal(left, keep) {
		t.Fatalf("left %v, want %v", left, keep)
	}
}

// TestBucketCORS holds the local S3 to what browsers need of the bucket's CORS rules
// (EnsureBucket; the template sets the same in AWS). The upload page, on the site's origin, PUTs
// with the signed headers; no other origin may. The player reads media from any origin: the
// embed inside a sandboxed link card runs in an opaque origin and sends Origin: null.
func TestBucketCORS(t *testing.T) {
	const site = "http://127.0.0.1:8080" // the origin newBucket allows
	b := newBucket(t)
	ctx := context.Background()
	body := []byte("#EXTM3U segment bytes")
	put, err := b.PresignPut(ctx, "uploads/Ab3dEf9Z/x", "audio/mpeg", int64(len(body)), md5b64(body), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	preflight := func(url, origin, method, headers string) (int, http.Header) {
		h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
		if headers != "" {
			h["Access-Control-Request-Headers"] = headers
		}
		status, _, hd := do(t, http.MethodOptions, url, h, nil)
		return status, hd
	}
	allowed := func(hd http.Header, list, item string) bool {
		for v := range strings.SplitSeq(hd.Get(list), ",") {
			if strings.EqualFold(strings.TrimSpace(v), item) {
				return true
			}
		}
		return false
	}

	t.Run("upload from the site", func(t *testing.T) {
		status, hd := preflight(put.URL, site, "PUT", "content-md5,content-type")
		if status != http.StatusOK || hd.Get("Access-Control-Allow-Origin") != site {
			t.Fatalf("preflight = %d, Access-Control-Allow-Origin %q; want 200 and %s", status, hd.Get("Access-Control-Allow-Origin"), site)
		}
		for _, h := range []string{"content-type", "content-md5"} {
			if !allowed(hd, "Access-Control-Allow-Headers", h) {
				t.Errorf("Access-Control-Allow-Headers = %q lacks %s", hd.Get("Access-Control-Allow-Headers"), h)
			}
		}
		if !allowed(hd, "Access-Control-Allow-Methods", "PUT") {
			t.Errorf("Access-Control-Allow-Methods = %q lacks PUT", hd.Get("Access-Control-Allow-Methods"))
		}
		h := map[string]string{"Origin": site}
		for k, v := range put.Headers {
			h[k] = v
		}
		status, resp, hd := do(t, put.Method, put.URL, h, body)
		if status != http.StatusOK || hd.Get("Access-Control-Allow-Origin") != site || !allowed(hd, "Access-Control-Expose-Headers", "ETag") {
			t.Fatalf("PUT = %d %s, Access-Control-Allow-Origin %q, Expose-Headers %q; want 200, %s and ETag",
				status, resp, hd.Get("Access-Control-Allow-Origin"), hd.Get("Access-Control-Expose-Headers"), site)
		}
	})
	t.Run("no upload from elsewhere", func(t *testing.T) {
		for _, origin := range []string{"null", "https://blog.example", "http://127.0.0.1:8081"} {
			if _, hd := preflight(put.URL, origin, "PUT", "content-md5,content-type"); hd.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a PUT preflight from %s is allowed: Access-Control-Allow-Origin %q", origin, hd.Get("Access-Control-Allow-Origin"))
			}
		}
	})

	get, err := b.PresignGet(ctx, "uploads/Ab3dEf9Z/x", track.GetOptions{}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{"null", "https://blog.example", site} {
		t.Run("read from "+origin, func(t *testing.T) {
			status, got, hd := do(t, http.MethodGet, get.URL, map[string]string{"Origin": origin}, nil)
			if status != http.StatusOK || got != string(body) {
				t.Fatalf("GET = %d %q", status, got)
			}
			if acao := hd.Get("Access-Control-Allow-Origin"); acao != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", acao)
			}
			if c := hd.Get("Access-Control-Allow-Credentials"); c == "true" {
				t.Errorf("Access-Control-Allow-Credentials = %q", c)
			}
			// A range request is not a simple request: its preflight must pass too.
			status, hd = preflight(get.URL, origin, "GET", "range")
			if status != http.StatusOK || hd.Get("Access-Control-Allow-Origin") != "*" || !allowed(hd, "Access-Control-Allow-Headers", "range") {
				t.Errorf("GET preflight with Range = %d, Access-Control-Allow-Origin %q, Allow-Headers %q",
					status, hd.Get("Access-Control-Allow-Origin"), hd.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

// TestPresignedPartBinds proves against a real S3 implementation that a part URL binds the
// part's bytes (Content-MD5) and length, that a refused PUT stores nothing, and that the site
// may send it from the browser and read its ETag.
func TestPresignedPartBinds(t *testing.T) {
	const site = "http://127.0.0.1:8080" // the origin newBucket allows
	b := newBucket(t)
	ctx := context.Background()
	const key = "uploads/Ab3dEf9Z/parts"
	upload, err := b.CreateMultipart(ctx, key, "audio/flac")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("fLaC one part of a large file")
	sum := md5b64(body)
	other := bytes.Repeat([]byte("x"), len(body))
	cases := []struct {
		name    string
		headers func(p track.Presigned) map[string]string
		body    []byte
		want    int
		errCode string
	}{
		{"other bytes, same MD5 header", func(p track.Presigned) map[string]string { return p.Headers }, other, 400, "BadDigest"},
		{"other bytes with their own MD5", func(track.Presigned) map[string]string { return map[string]string{"Content-MD5": md5b64(other)} }, other, 403, "SignatureDoesNotMatch"},
		{"missing Content-MD5", func(track.Presigned) map[string]string { return nil }, body, 403, "SignatureDoesNotMatch"},
		{"shorter body", func(p track.Presigned) map[string]string { return p.Headers }, body[1:], 403, ""},
		{"longer body", func(p track.Presigned) map[string]string { return p.Headers }, append(slices.Clone(body), '!'), 403, ""},
		{"right bytes from the site", func(p track.Presigned) map[string]string {
			return map[string]string{"Content-MD5": p.Headers["Content-MD5"], "Origin": site}
		}, body, 200, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := i + 1
			p, err := b.PresignPart(ctx, key, upload, n, int64(len(body)), sum, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(p.URL, "x-amz-checksum") || strings.Contains(p.URL, "x-amz-sdk-checksum") {
				t.Fatalf("URL carries an SDK checksum the client cannot send: %s", p.URL)
			}
			status, resp, hd := do(t, p.Method, p.URL, c.headers(p), c.body)
			if status != c.want || (c.errCode != "" && !strings.Contains(resp, c.errCode)) {
				t.Fatalf("PUT = %d %s, want %d %s", status, resp, c.want, c.errCode)
			}
			parts, err := b.ListParts(ctx, key, upload)
			if err != nil {
				t.Fatal(err)
			}
			stored := slices.ContainsFunc(parts, func(p track.Part) bool { return p.Number == n })
			if stored != (c.want == 200) {
				t.Fatalf("after a %d, part %d stored = %v (%+v)", status, n, stored, parts)
			}
			if c.want == 200 {
				if hd.Get("Access-Control-Allow-Origin") != site || !strings.Contains(hd.Get("Access-Control-Expose-Headers"), "ETag") || hd.Get("ETag") == "" {
					t.Errorf("part PUT from the site: Access-Control-Allow-Origin %q, Expose-Headers %q, ETag %q",
						hd.Get("Access-Control-Allow-Origin"), hd.Get("Access-Control-Expose-Headers"), hd.Get("ETag"))
				}
			}
		})
	}
}

// TestListPartsPages: ListParts goes past a page (1,000 parts in S3; two here).
func TestListPartsPages(t *testing.T) {
	b := newBucket(t)
	b.PartsPage = 2
	ctx := context.Background()
	const key = "uploads/Ab3dEf9Z/pages"
	upload, err := b.CreateMultipart(ctx, key, "audio/flac")
	if err != nil {
		t.Fatal(err)
	}
	var want []track.Part
	for n := 1; n <= 5; n++ {
		body := []byte(fmt.Sprintf("part %d", n))
		p, err := b.PresignPart(ctx, key, upload, n, int64(len(body)), md5b64(body), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		status, resp, hd := do(t, p.Method, p.URL, p.Headers, body)
		if status != 200 {
			t.Fatalf("PUT part %d = %d %s", n, status, resp)
		}
		want = append(want, track.Part{Number: n, ETag: hd.Get("ETag"), Size: int64(len(body))})
	}
	// The server does page: one request alone sees two parts.
	name := b.Name
	page, err := b.API.ListParts(ctx, &s3.ListPartsInput{Bucket: &name, Key: aws.String(key), UploadId: &upload, MaxParts: aws.Int32(2)})
	if err != nil || len(page.Parts) != 2 || !aws.ToBool(page.IsTruncated) {
		t.Fatalf("one ListParts request with MaxParts 2 = %d parts, truncated %v, %v", len(page.Parts), page != nil && aws.ToBool(page.IsTruncated), err)
	}
	got, err := b.ListParts(ctx, key, upload)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListParts = %+v, %v\nwant %+v", got, err, want)
	}
}
