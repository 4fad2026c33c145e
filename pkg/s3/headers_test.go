package s3_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// TestUploaderHeadersNeverReachListeners: a PUT may carry headers its signature does not cover
// (Content-Encoding, Cache-Control), and storage keeps them with the bytes. A signed GET that
// overrides them serves the bytes as they are, whatever the uploader sent.
func TestUploaderHeadersNeverReachListeners(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	body := []byte("ID3 not really gzip")
	key := "uploads/Ab3dEf9Z/x"
	p, err := b.PresignPut(ctx, key, "audio/mpeg", int64(len(body)), md5b64(body), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	hostile := map[string]string{"Content-Encoding": "gzip", "Cache-Control": "public, max-age=99999999"}
	headers := map[string]string{"Content-Encoding": hostile["Content-Encoding"], "Cache-Control": hostile["Cache-Control"]}
	for k, v := range p.Headers {
		headers[k] = v
	}
	if status, resp, _ := do(t, p.Method, p.URL, headers, body); status != 200 {
		t.Fatalf("PUT with extra headers = %d %s", status, resp)
	}
	// The attack is real on this server: a plain signed GET hands the stored headers out.
	plain, err := b.PresignGet(ctx, key, track.GetOptions{}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, _, h := do(t, http.MethodGet, plain.URL, map[string]string{"Accept-Encoding": "identity"}, nil)
	if h.Get("Content-Encoding") != "gzip" || h.Get("Cache-Control") != hostile["Cache-Control"] {
		t.Fatalf("the server did not keep the uploader's headers (Content-Encoding %q, Cache-Control %q): this test proves nothing here", h.Get("Content-Encoding"), h.Get("Cache-Control"))
	}

	opt := track.GetOptions{ContentType: "audio/mpeg", ContentEncoding: "identity", CacheControl: "private, max-age=1800"}
	g, err := b.PresignGet(ctx, key, opt, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	status, got, h := do(t, http.MethodGet, g.URL, map[string]string{"Accept-Encoding": "identity"}, nil)
	if status != 200 || got != string(body) {
		t.Fatalf("GET = %d %q", status, got)
	}
	for name, want := range map[string]string{"Content-Type": "audio/mpeg", "Content-Encoding": "identity", "Cache-Control": "private, max-age=1800"} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
}
