package tracktest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// BlobsOptions say what TestBlobs can check beyond what the interface returns.
type BlobsOptions struct {
	// Client, when set, sends the signed requests to the server behind their URLs: the suite then
	// checks that the server takes a signed upload as signed, and that a signed GET serves the
	// bytes with its overrides. Leave it nil for a fake whose URLs lead nowhere (MemBlobs); the
	// suite then checks what the URLs and the returned headers carry. Whether a signature binds
	// (other bytes, type, length, a late request, a tampered URL) is for the adapter's own
	// tests: a fake verifies no signature.
	Client *http.Client
	// SendPart, for a fake whose URLs lead nowhere, stores a part as the PUT of its signed URL
	// p would and returns its ETag. With a Client the suite sends the PUT itself.
	SendPart func(p track.Presigned, body []byte) (etag string, err error)
}

// TestBlobs runs the conformance suite against the bucket that newBlobs returns. Each subtest
// gets an empty bucket: the suite lists and deletes across all of it.
func TestBlobs(t *testing.T, newBlobs func(t *testing.T) track.Blobs, opt BlobsOptions) {
	ctx := context.Background()

	// send makes the signed request p with headers and body, as a browser would.
	send := func(t *testing.T, p track.Presigned, headers map[string]string, body []byte) (int, []byte, http.Header) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		// The body as it is stored, never a compressed copy that the transport undoes.
		req.Header.Set("Accept-Encoding", "identity")
		res, err := opt.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, b, res.Header
	}

	t.Run("presign put returns the headers to send and the expiry", func(t *testing.T) {
		b := newBlobs(t)
		body := []byte("ID3 this stands in for an mp3 file")
		sum := md5Base64(body)
		const key, ttl = "uploads/Blob00aa/0b8e5a3c", 15 * time.Minute
		before := time.Now()
		p, err := b.PresignPut(ctx, key, "audio/mpeg", int64(len(body)), sum, ttl)
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != http.MethodPut {
			t.Errorf("Method = %q, want PUT", p.Method)
		}
		if want := map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}; !maps.Equal(p.Headers, want) {
			t.Errorf("Headers = %v, want %v", p.Headers, want)
		}
		checkURL(t, p.URL)
		checkExpiry(t, p.ExpiresAt, before, after, ttl)
		if _, err := b.Head(ctx, key); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Head before the upload = %v, want ErrNotFound: signing must not create the object", err)
		}
		if opt.Client == nil {
			return
		}
		if status, resp, _ := send(t, p, p.Headers, body); status != http.StatusOK {
			t.Fatalf("signed PUT = %d %s, want 200", status, resp)
		}
		if info, err := b.Head(ctx, key); err != nil || info != (track.ObjectInfo{Size: int64(len(body)), ContentType: "audio/mpeg"}) {
			t.Fatalf("Head after the signed PUT = %+v, %v", info, err)
		}
		if got := get(t, b, key); !bytes.Equal(got, body) {
			t.Fatalf("Get after the signed PUT = %q, want %q", got, body)
		}
	})

	t.Run("presign get carries its overrides", func(t *testing.T) {
		b := newBlobs(t)
		body := []byte("fLaC original bytes")
		const key, ttl = "uploads/Blob00aa/0b8e5a3c", 30 * time.Minute
		put(t, b, key, body, track.PutOptions{ContentType: "audio/x-flac", CacheControl: "public, max-age=60"})
		disp := track.ContentDisposition("Söng \"live\"; a,b.flac")
		overrides := map[string]string{
			"Content-Disposition": disp,
			"Content-Type":        "audio/flac",
			"Cache-Control":       "private, max-age=1800",
			"Content-Encoding":    "identity",
		}
		before := time.Now()
		g, err := b.PresignGet(ctx, key, track.GetOptions{
			ContentDisposition: overrides["Content-Disposition"], ContentType: overrides["Content-Type"],
			CacheControl: overrides["Cache-Control"], ContentEncoding: overrides["Content-Encoding"],
		}, ttl)
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if g.Method != http.MethodGet {
			t.Errorf("Method = %q, want GET", g.Method)
		}
		checkExpiry(t, g.ExpiresAt, before, after, ttl)
		// S3's names for the response overrides, which the fake's URLs carry too.
		q := checkURL(t, g.URL).Query()
		for name, want := range overrides {
			if got := q.Get("response-" + strings.ToLower(name)); got != want {
				t.Errorf("URL parameter response-%s = %q, want %q", strings.ToLower(name), got, want)
			}
		}
		plain, err := b.PresignGet(ctx, key, track.GetOptions{}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		for name := range checkURL(t, plain.URL).Query() {
			if strings.HasPrefix(strings.ToLower(name), "response-") {
				t.Errorf("a GET without overrides has %s in its URL", name)
			}
		}
		if opt.Client == nil {
			return
		}
		status, got, h := send(t, g, nil, nil)
		if status != http.StatusOK || !bytes.Equal(got, body) {
			t.Fatalf("signed GET = %d %q, want 200 %q", status, got, body)
		}
		for name, want := range overrides {
			if h.Get(name) != want {
				t.Errorf("signed GET: %s = %q, want %q", name, h.Get(name), want)
			}
		}
		// Without overrides, the object is served with the headers Put stored.
		status, got, h = send(t, plain, nil, nil)
		if status != http.StatusOK || !bytes.Equal(got, body) {
			t.Fatalf("plain signed GET = %d %q, want 200 %q", status, got, body)
		}
		if h.Get("Content-Type") != "audio/x-flac" || h.Get("Cache-Control") != "public, max-age=60" {
			t.Errorf("plain signed GET: Content-Type %q, Cache-Control %q; want what Put stored", h.Get("Content-Type"), h.Get("Cache-Control"))
		}
	})

	t.Run("head reports size and type, or not found", func(t *testing.T) {
		b := newBlobs(t)
		put(t, b, "derived/Blob00aa/waveform.json", []byte(`{"peaks":[]}`), track.PutOptions{ContentType: "application/json"})
		info, err := b.Head(ctx, "derived/Blob00aa/waveform.json")
		if want := (track.ObjectInfo{Size: 12, ContentType: "application/json"}); err != nil || info != want {
			t.Fatalf("Head = %+v, %v; want %+v", info, err, want)
		}
		for _, key := range []string{"derived/Blob00aa/missing.json", "derived/Blob00aa/waveform.jso", "derived/Blob00aa/"} {
			if _, err := b.Head(ctx, key); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Head(%q) = %v, want ErrNotFound", key, err)
			}
		}
	})

	t.Run("get streams the bytes, or not found", func(t *testing.T) {
		b := newBlobs(t)
		body := bytes.Repeat([]byte("\x00\xffsegment"), 4096) // binary, and more than one read
		put(t, b, "derived/Blob00aa/hls/seg00000.ts", body, track.PutOptions{ContentType: "video/mp2t"})
		r, info, err := b.Get(ctx, "derived/Blob00aa/hls/seg00000.ts")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("Get read %d bytes, %v; want the %d put", len(got), err, len(body))
		}
		if want := (track.ObjectInfo{Size: int64(len(body)), ContentType: "video/mp2t"}); info != want {
			t.Errorf("Get info = %+v, want %+v", info, want)
		}
		if r, _, err := b.Get(ctx, "derived/Blob00aa/hls/seg00001.ts"); !errors.Is(err, track.ErrNotFound) {
			if r != nil {
				r.Close()
			}
			t.Fatalf("Get of a missing key = %v, want ErrNotFound", err)
		}
	})

	t.Run("put writes whole objects and overwrites", func(t *testing.T) {
		b := newBlobs(t)
		const key = "derived/Blob00aa/preview.ogg"
		put(t, b, key, []byte("OggS first"), track.PutOptions{ContentType: "audio/ogg"})
		put(t, b, key, []byte("OggS the second, longer"), track.PutOptions{ContentType: "audio/ogg; codecs=vorbis"})
		if info, err := b.Head(ctx, key); err != nil || info != (track.ObjectInfo{Size: 23, ContentType: "audio/ogg; codecs=vorbis"}) {
			t.Fatalf("Head after the second Put = %+v, %v", info, err)
		}
		if got := get(t, b, key); string(got) != "OggS the second, longer" {
			t.Fatalf("Get after the second Put = %q", got)
		}
		// An empty object is an object.
		put(t, b, "derived/Blob00aa/empty", nil, track.PutOptions{ContentType: "text/plain"})
		if info, err := b.Head(ctx, "derived/Blob00aa/empty"); err != nil || info.Size != 0 {
			t.Fatalf("Head of an empty object = %+v, %v", info, err)
		}
	})

	t.Run("list gives the keys under a prefix in order", func(t *testing.T) {
		b := newBlobs(t)
		// Put out of order. No key is also the folder of others: the app never makes one, and
		// Versity's file-system backend cannot hold one. "-" sorts before "/".
		keys := []string{
			"uploads/Blob00aa/u",
			"derived/Blob00aa/waveform.json",
			"derived/Blob00aa/hls/seg00001.ts",
			"derived/Blob00ab/preview.ogg",
			"derived/Blob00aa/hls/index.m3u8",
			"derived/Blob00aa/hls/seg00000.ts",
			"derived/Blob00aa-old/cover.jpg",
			"derived/Blob00aa/cover.jpg",
		}
		for _, k := range keys {
			put(t, b, k, []byte("x"), track.PutOptions{ContentType: "text/plain"})
		}
		list := func(prefix string) []string {
			t.Helper()
			var got []string
			if err := b.List(ctx, prefix, func(k string) error { got = append(got, k); return nil }); err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			return got
		}
		all := slices.Sorted(slices.Values(keys))
		for _, tt := range []struct {
			prefix string
			want   []string
		}{
			{"", all},
			{"derived/", all[:len(all)-1]},
			{"derived/Blob00aa/", []string{
				"derived/Blob00aa/cover.jpg",
				"derived/Blob00aa/hls/index.m3u8",
				"derived/Blob00aa/hls/seg00000.ts",
				"derived/Blob00aa/hls/seg00001.ts",
				"derived/Blob00aa/waveform.json",
			}},
			{"derived/Blob00aa/hls/seg", []string{"derived/Blob00aa/hls/seg00000.ts", "derived/Blob00aa/hls/seg00001.ts"}},
			{"derived/Blob00ac/", nil},
		} {
			if got := list(tt.prefix); !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q\nwant %q", tt.prefix, got, tt.want)
			}
		}

		stop := errors.New("stop")
		calls := 0
		err := b.List(ctx, "derived/", func(string) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("List with a failing fn = %v after %d calls, want its error after 1", err, calls)
		}
	})

	// sendPart uploads a part through its signed URL and returns its ETag.
	sendPart := func(t *testing.T, p track.Presigned, body []byte) string {
		t.Helper()
		if opt.Client == nil {
			etag, err := opt.SendPart(p, body)
			if err != nil {
				t.Fatalf("send part: %v", err)
			}
			return etag
		}
		status, resp, h := send(t, p, p.Headers, body)
		if status != http.StatusOK || h.Get("ETag") == "" {
			t.Fatalf("signed part PUT = %d %s (ETag %q), want 200 with an ETag", status, resp, h.Get("ETag"))
		}
		return h.Get("ETag")
	}
	// S3 needs every part but the last to be at least 5 MiB.
	const minPart = 5 << 20
	partOne := bytes.Repeat([]byte("fLaC part one "), minPart/14+1)[:minPart]
	partTwo := []byte("and the last part, which may be small")
	whole := append(slices.Clone(partOne), partTwo...)

	t.Run("multipart upload: sign, send, list, complete", func(t *testing.T) {
		b := newBlobs(t)
		const key, ttl = "uploads/Mult00aa/0b8e5a3c", 20 * time.Minute
		upload, err := b.CreateMultipart(ctx, key, "audio/flac")
		if err != nil || upload == "" {
			t.Fatalf("CreateMultipart = %q, %v", upload, err)
		}
		if _, err := b.Head(ctx, key); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Head of a multipart upload in progress = %v, want ErrNotFound", err)
		}
		if parts, err := b.ListParts(ctx, key, upload); err != nil || len(parts) != 0 {
			t.Fatalf("ListParts before any part = %v, %v; want none", parts, err)
		}
		etags := map[int]string{}
		// The last part first: parts go up in any order.
		for _, n := range []int{2, 1} {
			body := [][]byte{partOne, partTwo}[n-1]
			before := time.Now()
			p, err := b.PresignPart(ctx, key, upload, n, int64(len(body)), md5Base64(body), ttl)
			after := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			if p.Method != http.MethodPut {
				t.Errorf("Method = %q, want PUT", p.Method)
			}
			if want := map[string]string{"Content-MD5": md5Base64(body)}; !maps.Equal(p.Headers, want) {
				t.Errorf("Headers = %v, want %v", p.Headers, want)
			}
			checkURL(t, p.URL)
			checkExpiry(t, p.ExpiresAt, before, after, ttl)
			etags[n] = sendPart(t, p, body)
		}
		parts, err := b.ListParts(ctx, key, upload)
		if err != nil {
			t.Fatal(err)
		}
		want := []track.Part{{Number: 1, ETag: etags[1], Size: minPart}, {Number: 2, ETag: etags[2], Size: int64(len(partTwo))}}
		if !slices.Equal(parts, want) {
			t.Fatalf("ListParts = %+v, want %+v", parts, want)
		}
		if err := b.CompleteMultipart(ctx, key, upload, int64(len(whole)), want); err != nil {
			t.Fatalf("CompleteMultipart = %v", err)
		}
		if info, err := b.Head(ctx, key); err != nil || info != (track.ObjectInfo{Size: int64(len(whole)), ContentType: "audio/flac"}) {
			t.Fatalf("Head after completion = %+v, %v", info, err)
		}
		if got := get(t, b, key); !bytes.Equal(got, whole) {
			t.Fatalf("Get after completion: %d bytes, not the %d of the parts", len(got), len(whole))
		}
		// Completed: no longer in progress, and a second completion says so.
		if _, err := b.ListParts(ctx, key, upload); !errors.Is(err, track.ErrNoSuchUpload) {
			t.Errorf("ListParts after completion = %v, want ErrNoSuchUpload", err)
		}
		// S3 (and Versity) answer a repeated completion with success for a while, then with
		// NoSuchUpload: either is fine, anything else is not.
		if err := b.CompleteMultipart(ctx, key, upload, int64(len(whole)), want); err != nil && !errors.Is(err, track.ErrNoSuchUpload) {
			t.Errorf("CompleteMultipart again = %v, want success or ErrNoSuchUpload", err)
		}
		if err := b.AbortMultipart(ctx, key, upload); err != nil {
			t.Errorf("AbortMultipart after completion = %v, want success", err)
		}
		if got := get(t, b, key); !bytes.Equal(got, whole) {
			t.Errorf("an abort after completion changed the object")
		}
	})

	t.Run("multipart completion refuses parts it does not hold", func(t *testing.T) {
		b := newBlobs(t)
		const key = "uploads/Mult00ab/0b8e5a3c"
		upload, err := b.CreateMultipart(ctx, key, "audio/flac")
		if err != nil {
			t.Fatal(err)
		}
		var parts []track.Part
		for n, body := range [][]byte{partOne, partTwo} {
			p, err := b.PresignPart(ctx, key, upload, n+1, int64(len(body)), md5Base64(body), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, track.Part{Number: n + 1, ETag: sendPart(t, p, body), Size: int64(len(body))})
		}
		wrongETag := slices.Clone(parts)
		wrongETag[1].ETag = parts[0].ETag
		for _, tt := range []struct {
			name  string
			parts []track.Part
			size  int64
		}{
			{"an ETag of another part", wrongETag, int64(len(whole))},
			{"a part never sent", append(slices.Clone(parts), track.Part{Number: 3, ETag: parts[1].ETag}), int64(len(whole))},
			{"another total size", parts, int64(len(whole)) + 1},
		} {
			if err := b.CompleteMultipart(ctx, key, upload, tt.size, tt.parts); !errors.Is(err, track.ErrPartsRejected) {
				t.Errorf("CompleteMultipart with %s = %v, want ErrPartsRejected", tt.name, err)
			}
		}
		if _, err := b.Head(ctx, key); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("a refused completion made the object: %v", err)
		}
		if got, err := b.ListParts(ctx, key, upload); err != nil || len(got) != 2 {
			t.Fatalf("ListParts after refused completions = %v, %v; want both parts still there", got, err)
		}
	})

	t.Run("multipart abort discards every part", func(t *testing.T) {
		b := newBlobs(t)
		const key = "uploads/Mult00ac/0b8e5a3c"
		upload, err := b.CreateMultipart(ctx, key, "audio/flac")
		if err != nil {
			t.Fatal(err)
		}
		other, err := b.CreateMultipart(ctx, "uploads/Mult00ad/0b8e5a3c", "audio/flac")
		if err != nil {
			t.Fatal(err)
		}
		p, err := b.PresignPart(ctx, key, upload, 1, int64(len(partTwo)), md5Base64(partTwo), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		sendPart(t, p, partTwo)
		late, err := b.PresignPart(ctx, key, upload, 2, int64(len(partTwo)), md5Base64(partTwo), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := b.AbortMultipart(ctx, key, upload); err != nil {
				t.Fatalf("AbortMultipart %d = %v, want success", i+1, err)
			}
		}
		if _, err := b.ListParts(ctx, key, upload); !errors.Is(err, track.ErrNoSuchUpload) {
			t.Errorf("ListParts after abort = %v, want ErrNoSuchUpload", err)
		}
		// Versity says the parts are gone (InvalidPart) rather than the upload.
		if err := b.CompleteMultipart(ctx, key, upload, int64(len(partTwo)), []track.Part{{Number: 1, ETag: `"x"`}}); !errors.Is(err, track.ErrNoSuchUpload) && !errors.Is(err, track.ErrPartsRejected) {
			t.Errorf("CompleteMultipart after abort = %v, want ErrNoSuchUpload or ErrPartsRejected", err)
		}
		if _, err := b.ListParts(ctx, "uploads/Mult00ad/0b8e5a3c", other); err != nil {
			t.Errorf("the abort touched another upload: %v", err)
		}
		if opt.Client != nil {
			// A part URL signed before the abort leads nowhere.
			if status, resp, _ := send(t, late, late.Headers, partTwo); status != http.StatusNotFound || !strings.Contains(string(resp), "NoSuchUpload") {
				t.Errorf("PUT of a part URL after the abort = %d %s, want 404 NoSuchUpload", status, resp)
			}
		}
	})

	t.Run("delete removes one object and a missing one is fine", func(t *testing.T) {
		b := newBlobs(t)
		for _, k := range []string{"uploads/Blob00aa/a", "uploads/Blob00aa/ab"} {
			put(t, b, k, []byte("x"), track.PutOptions{ContentType: "text/plain"})
		}
		if err := b.Delete(ctx, "uploads/Blob00aa/a"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Head(ctx, "uploads/Blob00aa/a"); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Head after Delete = %v, want ErrNotFound", err)
		}
		if _, err := b.Head(ctx, "uploads/Blob00aa/ab"); err != nil {
			t.Fatalf("Delete took another object too: %v", err)
		}
		for _, k := range []string{"uploads/Blob00aa/a", "uploads/Never0aa/x"} {
			if err := b.Delete(ctx, k); err != nil {
				t.Errorf("Delete(%q) of a missing object = %v, want success", k, err)
			}
		}
	})

	t.Run("delete prefix counts what it deleted and leaves the rest", func(t *testing.T) {
		b := newBlobs(t)
		gone := []string{"derived/Gone00aa/hls/index.m3u8", "derived/Gone00aa/hls/seg00000.ts", "derived/Gone00aa/preview.ogg"}
		kept := []string{"derived/Gone00aa-old/preview.ogg", "derived/Gone00aab/preview.ogg", "derived/Keep00aa/preview.ogg", "uploads/Gone00aa/u"}
		for _, k := range append(slices.Clone(gone), kept...) {
			put(t, b, k, []byte("x"), track.PutOptions{ContentType: "text/plain"})
		}
		if n, err := b.DeletePrefix(ctx, "derived/Gone00aa/"); err != nil || n != len(gone) {
			t.Fatalf("DeletePrefix = %d, %v; want %d", n, err, len(gone))
		}
		if n, err := b.DeletePrefix(ctx, "derived/Gone00aa/"); err != nil || n != 0 {
			t.Fatalf("DeletePrefix again = %d, %v; want 0 and no error", n, err)
		}
		var left []string
		if err := b.List(ctx, "", func(k string) error { left = append(left, k); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := slices.Sorted(slices.Values(kept)); !slices.Equal(left, want) {
			t.Fatalf("left %q, want %q", left, want)
		}
	})

	t.Run("delete prefix refuses the empty prefix", func(t *testing.T) {
		b := newBlobs(t)
		put(t, b, "derived/Keep00aa/preview.ogg", []byte("x"), track.PutOptions{ContentType: "text/plain"})
		if n, err := b.DeletePrefix(ctx, ""); err == nil || n != 0 {
			t.Fatalf("DeletePrefix(\"\") = %d, %v; want 0 and an error", n, err)
		}
		if _, err := b.Head(ctx, "derived/Keep00aa/preview.ogg"); err != nil {
			t.Fatalf("a refused DeletePrefix deleted: %v", err)
		}
	})
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// put writes body to key through Put.
func put(t *testing.T, b track.Blobs, key string, body []byte, opt track.PutOptions) {
	t.Helper()
	if err := b.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), opt); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// get reads key whole through Get.
func get(t *testing.T, b track.Blobs, key string) []byte {
	t.Helper()
	r, _, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return got
}

// checkURL parses a signed URL, which must be absolute.
func checkURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("signed URL %q is not absolute (%v)", raw, err)
	}
	return u
}

// checkExpiry holds a signed request's ExpiresAt to ttl after it was signed, between before and
// after. Signatures count in whole seconds, so the expiry may fall up to a second before.
func checkExpiry(t *testing.T, got, before, after time.Time, ttl time.Duration) {
	t.Helper()
	if lo, hi := before.Add(ttl).Truncate(time.Second), after.Add(ttl); got.Before(lo) || got.After(hi) {
		t.Errorf("ExpiresAt = %v, want %v after signing (between %v and %v)", got, ttl, lo, hi)
	}
}
