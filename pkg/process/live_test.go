package process_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// watchedBlobs records every object processing writes, and checks each playlist as it is
// written: every segment it names is already stored.
type watchedBlobs struct {
	*tracktest.MemBlobs
	t         *testing.T
	mu        sync.Mutex
	puts      map[string][][]byte // every body written under a key, in order
	playlists [][]track.Segment   // the segments of each playlist written, in order
	endlist   []bool
}

func (w *watchedBlobs) Put(ctx context.Context, key string, body io.ReadSeeker, size int64, opt track.PutOptions) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.puts[key] = append(w.puts[key], data)
	if strings.HasSuffix(key, "/index.m3u8") {
		segs := track.ParseSegments(data)
		id, _ := track.IDFromKey(key)
		for _, s := range segs {
			if _, _, err := w.MemBlobs.Get(ctx, track.SegmentKey(id, s.Name)); err != nil {
				w.t.Errorf("playlist %d names %s before it is stored", len(w.playlists)+1, s.Name)
			}
		}
		w.playlists = append(w.playlists, segs)
		w.endlist = append(w.endlist, bytes.Contains(data, []byte("#EXT-X-ENDLIST")))
	}
	return w.MemBlobs.Put(ctx, key, bytes.NewReader(data), size, opt)
}

func longSong(t testing.TB, seconds float64) []byte {
	t.Helper()
	b, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: seconds}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSegmentsArePublishedWhileProcessing: each segment is stored once whole (every write of a
// segment key has the bytes of the finished file), before any playlist names it; the playlists
// written while the track processes are EVENT ones that only grow; the track is marked playable
// only once a playlist is stored, while it is still processing; the last playlist is the VOD
// one naming every segment; a second delivery of the event changes nothing.
func TestSegmentsArePublishedWhileProcessing(t *testing.T) {
	f := newFixture(t)
	w := &watchedBlobs{MemBlobs: f.blobs, t: t, puts: map[string][][]byte{}}
	f.h.Blobs = w
	var marked []track.Track
	f.store.ReplaceHook = func(next *track.Track) error {
		if next.Status == track.StatusProcessing && next.Playable() {
			w.mu.Lock()
			n := len(w.playlists)
			w.mu.Unlock()
			if n == 0 {
				t.Errorf("marked playable before a playlist was stored")
			}
			marked = append(marked, *next)
		}
		return nil
	}
	tr := f.createWith(t, longSong(t, 40), "audio/mpeg")
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusReady {
		t.Fatalf("status %s", got.Status)
	}
	if len(marked) == 0 {
		t.Fatal("never playable while processing")
	}
	n := len(w.playlists)
	if n < 2 || !w.endlist[n-1] {
		t.Fatalf("%d playlists, the last with ENDLIST %v; want EVENT ones then the VOD one", n, w.endlist[n-1])
	}
	final := w.playlists[n-1]
	if len(final) < 18 {
		t.Fatalf("the VOD playlist names %d segments of 2 s for 40 s", len(final))
	}
	for i, segs := range w.playlists[:n-1] {
		if w.endlist[i] {
			t.Errorf("playlist %d, written while processing, has ENDLIST", i+1)
		}
		if i > 0 && len(segs) <= len(w.playlists[i-1]) || len(segs) == 0 {
			t.Errorf("playlist %d names %d segments after %d: it must grow", i+1, len(segs), len(w.playlists[i-1]))
		}
		for j, s := range segs {
			if s != final[j] {
				t.Errorf("playlist %d entry %d is %v, the VOD one %v", i+1, j, s, final[j])
			}
		}
	}
	for _, s := range final {
		bodies := w.puts[track.SegmentKey(tr.ID, s.Name)]
		stored, _, _ := f.blobs.Get(context.Background(), track.SegmentKey(tr.ID, s.Name))
		whole, _ := io.ReadAll(stored)
		if len(bodies) != 1 || !bytes.Equal(bodies[0], whole) || len(whole) == 0 {
			t.Errorf("%s written %d times; want once, whole", s.Name, len(bodies))
		}
	}
	// The event again: the track is ready, nothing is written.
	writes := len(w.puts)
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.store.Get(context.Background(), tr.ID); again.Version != got.Version || len(w.puts) != writes || len(w.playlists) != n {
		t.Errorf("a second delivery changed the track or wrote objects")
	}
}

// TestResumeAfterADeadRun: a run died after making the track playable with an EVENT playlist of
// three segments. The next run never stores a shorter playlist (a listener's only grows) and
// ends with the VOD one.
func TestResumeAfterADeadRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	w := &watchedBlobs{MemBlobs: f.blobs, t: t, puts: map[string][][]byte{}}
	f.h.Blobs = w
	tr := f.createWith(t, longSong(t, 30), "audio/mpeg")
	arrived, err := f.svc.Arrive(ctx, tr.OriginalKey)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := f.svc.Begin(ctx, arrived)
	if err != nil {
		t.Fatal(err)
	}
	// What the dead run stored (its bytes stand in for the segments; the next run rewrites them).
	var segs []track.Segment
	for i := range 3 {
		segs = append(segs, track.Segment{Name: track.SegmentName(i), Duration: 2})
		f.blobs.PutBytes(track.SegmentKey(tr.ID, segs[i].Name), "video/mp2t", []byte("partial run"))
	}
	f.blobs.PutBytes(track.PlaylistKey(tr.ID), "application/vnd.apple.mpegurl", track.FormatPlaylist(segs, 2, false))
	if _, err := f.svc.MarkPlayable(ctx, dead); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(20 * time.Minute) // its lease lapses
	if err := f.h.Handle(ctx, event(t, "media", tr.OriginalKey, "ObjectCreated:Put")); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.Get(ctx, tr.ID); got.Status != track.StatusReady || got.Attempts != 2 {
		t.Fatalf("after the second run: %s, %d attempts", got.Status, got.Attempts)
	}
	if len(w.playlists) == 0 || !w.endlist[len(w.playlists)-1] {
		t.Fatal("no VOD playlist stored")
	}
	for i, p := range w.playlists {
		if len(p) <= 3 {
			t.Errorf("playlist %d names %d segments: fewer than the 3 a listener had", i+1, len(p))
		}
	}
	for _, s := range segs {
		if b, _, _ := f.blobs.Get(ctx, track.SegmentKey(tr.ID, s.Name)); b != nil {
			if data, _ := io.ReadAll(b); string(data) == "partial run" {
				t.Errorf("%s still holds the dead run's bytes", s.Name)
			}
		}
	}
}
