package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// Short lives for the lifecycle: the same code paths as 14 days, in seconds.
const (
	retention = 4 * time.Second
	sweep     = 200 * time.Millisecond
)

func expiryStack(t *testing.T) *testStack { return expiryStackLogging(t, io.Discard) }

func expiryStackLogging(t *testing.T, logs io.Writer) *testStack {
	t.Helper()
	s, err := newStackLogging(t.TempDir(), map[string]string{
		"RETENTION": retention.String(), "PENDING_TTL": "2s", "FAILED_TTL": "2s", "TTL_SWEEP_INTERVAL": sweep.String(),
	}, logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// gone waits until the item has left the table (read directly: a GET would count as a listen)
// and returns how long that took.
func (s *testStack) gone(t *testing.T, id string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := s.app.Store.Get(context.Background(), id)
		if errors.Is(err, track.ErrNotFound) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("track %s still in the table after %v", id, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noObjects waits (briefly: the stream is asynchronous) until no object of id is left.
func (s *testStack) noObjects(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		keys := append(s.objectKeys(t, "uploads/"+id+"/"), s.objectKeys(t, "derived/"+id+"/")...)
		if len(keys) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("objects of %s left: %v", id, keys)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// handedOut collects every URL a listener was given for a ready track.
func handedOut(t *testing.T, c client, id string, info map[string]any) []string {
	t.Helper()
	var urls []string
	for _, k := range []string{"preview", "waveform", "cover"} {
		if u, ok := info[k].(string); ok {
			urls = append(urls, u)
		}
	}
	for _, s := range parsePlaylist(t, c.do("GET", info["stream"].(string), nil, nil).Body) {
		urls = append(urls, s.url)
	}
	dl := c.do("GET", "/api/tracks/"+id+"/download", nil, nil).json(t)
	return append(urls, dl["url"].(string))
}

func TestLifecycle(t *testing.T) {
	s := expiryStack(t)
	c := s.client(t)
	dir := mediatest.Dir(t)

	t.Run("an upload never finished is gone after PENDING_TTL", func(t *testing.T) {
		_, sum := audioBytes(t, 1)
		created := c.postJSON("/api/tracks", map[string]any{"filename": "a.mp3", "type": "audio/mpeg", "size": 100, "md5": sum}).json(t)
		id := created["id"].(string)
		if d := s.gone(t, id, 2*time.Second+3*sweep+time.Second); d < time.Second {
			t.Fatalf("pending track gone after %v, before PENDING_TTL", d)
		}
		if r := c.do("GET", "/api/tracks/"+id, nil, nil); r.Status != 404 {
			t.Fatalf("GET = %d", r.Status)
		}
		// The presigned upload URL is still signed, but there is no track to upload to any more.
	})

	t.Run("an unread track goes with every byte and every URL", func(t *testing.T) {
		id := c.upload(mediatest.Generate(t, dir, mediatest.Spec{Format: "mp3", Seconds: 12, Cover: "jpeg"}), "audio/mpeg")
		info := c.waitDone(id)
		if info["status"] != "ready" {
			t.Fatalf("status %v", info["status"])
		}
		urls := handedOut(t, c, id, info)
		for _, u := range urls {
			if r := c.do("GET", u, nil, nil); r.Status != 200 {
				t.Fatalf("before expiry %s = %d", u, r.Status)
			}
		}
		lastRead := time.Now()
		s.gone(t, id, retention+2*sweep+2*time.Second)
		if d := time.Since(lastRead); d < retention-time.Second {
			t.Fatalf("gone %v after the last read, before RETENTION", d)
		}
		s.noObjects(t, id)
		for _, u := range urls {
			if r := c.do("GET", u, nil, nil); r.Status != 404 {
				t.Fatalf("after expiry %s = %d %s, want 404 (signed, but nothing there)", u, r.Status, r.Body)
			}
		}
		for _, p := range []string{"/api/tracks/" + id, "/api/tracks/" + id + "/stream.m3u8", "/api/tracks/" + id + "/download"} {
			if r := c.do("GET", p, nil, nil); r.Status != 404 {
				t.Fatalf("GET %s = %d", p, r.Status)
			}
		}
	})

	t.Run("a track read steadily outlives three RETENTIONs", func(t *testing.T) {
		id := c.upload(mediatest.Generate(t, dir, mediatest.Spec{Format: "mp3", Seconds: 3}), "audio/mpeg")
		if m := c.waitDone(id); m["status"] != "ready" {
			t.Fatalf("status %v", m["status"])
		}
		end := time.Now().Add(3*retention + time.Second)
		paths := []string{"/api/tracks/" + id, "/api/tracks/" + id + "/stream.m3u8", "/api/tracks/" + id + "/download"}
		for i := 0; time.Now().Before(end); i++ {
			if r := c.do("GET", paths[i%len(paths)], nil, nil); r.Status != 200 {
				t.Fatalf("read %d (%s) = %d after %v", i, paths[i%len(paths)], r.Status, time.Until(end))
			}
			time.Sleep(time.Second)
		}
		// Now nobody listens: gone within RETENTION and two sweeps (plus the second-granular ttl).
		s.gone(t, id, retention+2*sweep+time.Second)
		s.noObjects(t, id)
	})

	t.Run("a failed track goes after FAILED_TTL", func(t *testing.T) {
		id := c.upload(mediatest.Hostile(t, dir, "text", "127.0.0.1:9"), "audio/mpeg")
		if m := c.waitDone(id); m["status"] != "failed" {
			t.Fatalf("status %v", m["status"])
		}
		s.gone(t, id, 2*time.Second+3*sweep+time.Second)
		s.noObjects(t, id)
	})

	t.Run("a delete by token takes the same path", func(t *testing.T) {
		body, sum := audioBytes(t, 2)
		created := c.postJSON("/api/tracks", map[string]any{"filename": "d.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum}).json(t)
		id := created["id"].(string)
		c.do("PUT", created["upload"].(map[string]any)["url"].(string), map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body)
		info := c.waitDone(id)
		urls := handedOut(t, c, id, info)
		if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + created["deleteToken"].(string)}, nil); r.Status != 204 {
			t.Fatalf("DELETE = %d", r.Status)
		}
		s.noObjects(t, id)
		for _, u := range urls {
			if r := c.do("GET", u, nil, nil); r.Status != 404 {
				t.Fatalf("after delete %s = %d", u, r.Status)
			}
		}
	})
}

// TestReconcileRemovesOrphans plants objects of tracks that do not exist beside a live track's,
// and runs the reconcile job on demand.
func TestReconcileRemovesOrphans(t *testing.T) {
	c := shared.client(t)
	id := c.upload(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 2}), "audio/mpeg")
	if m := c.waitDone(id); m["status"] != "ready" {
		t.Fatalf("status %v", m["status"])
	}
	liveKeys := len(shared.objectKeys(t, "derived/"+id+"/")) + len(shared.objectKeys(t, "uploads/"+id+"/"))
	ctx := context.Background()
	for _, k := range []string{"uploads/Orph00aa/x", "derived/Orph00aa/preview.ogg", "derived/Orph00bb/hls/seg00000.ts"} {
		if err := shared.app.Bucket.Put(ctx, k, strings.NewReader("orphan"), 6, track.PutOptions{ContentType: "text/plain"}); err != nil {
			t.Fatal(err)
		}
	}
	r := c.do("POST", "/_local/reconcile", nil, nil)
	var rep struct{ Tracks, Orphans, Deleted int }
	if err := json.Unmarshal(r.Body, &rep); r.Status != http.StatusOK || err != nil {
		t.Fatalf("reconcile = %d %s", r.Status, r.Body)
	}
	// The uploads/ orphan may already be gone: its own S3 event deletes an object that belongs to
	// no upload. The derived ones have no event and wait for the reconcile.
	if rep.Orphans < 2 || rep.Deleted < 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range []string{"uploads/Orph00aa/", "derived/Orph00aa/", "derived/Orph00bb/"} {
		if k := shared.objectKeys(t, p); len(k) != 0 {
			t.Fatalf("orphans left: %v", k)
		}
	}
	if n := len(shared.objectKeys(t, "derived/"+id+"/")) + len(shared.objectKeys(t, "uploads/"+id+"/")); n != liveKeys || n == 0 {
		t.Fatalf("a live track lost objects: %d → %d", liveKeys, n)
	}
	if r := c.do("GET", "/api/tracks/"+id+"/stream.m3u8", nil, nil); r.Status != 200 {
		t.Fatalf("live track after reconcile = %d", r.Status)
	}
}
