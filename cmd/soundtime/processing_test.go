package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// upload sends a local file through the API as a user would and returns the track ID.
func (c client) upload(path, typ string) string {
	c.t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	sum := md5.Sum(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	r := c.postJSON("/api/tracks", map[string]any{"filename": filepath.Base(path), "type": typ, "size": len(body), "md5": b64})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	created := r.json(c.t)
	up := created["upload"].(map[string]any)
	if r := c.do("PUT", up["url"].(string), map[string]string{"Content-Type": typ, "Content-MD5": b64}, body); r.Status != 200 {
		c.t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
	return created["id"].(string)
}

// waitDone polls until the track is ready or failed.
func (c client) waitDone(id string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		m := c.do("GET", "/api/tracks/"+id, nil, nil).json(c.t)
		if m["status"] == "ready" || m["status"] == "failed" {
			return m
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("track %s still %v", id, m["status"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type segment struct {
	dur float64
	url string
}

// parsePlaylist checks a VOD playlist's structure and returns its segments.
func parsePlaylist(t *testing.T, body []byte) []segment {
	t.Helper()
	var segs []segment
	var pending float64 = -1
	var sawEnd, sawVOD bool
	sc := bufio.NewScanner(bytes.NewReader(body))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first && line != "#EXTM3U" {
			t.Fatalf("playlist does not start with #EXTM3U: %q", line)
		}
		first = false
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			v := strings.TrimSuffix(strings.TrimPrefix(line, "#EXTINF:"), ",")
			d, err := strconv.ParseFloat(strings.SplitN(v, ",", 2)[0], 64)
			if err != nil || d <= 0 {
				t.Fatalf("bad EXTINF %q", line)
			}
			pending = d
		case line == "#EXT-X-PLAYLIST-TYPE:VOD":
			sawVOD = true
		case line == "#EXT-X-ENDLIST":
			sawEnd = true
		case line != "" && !strings.HasPrefix(line, "#"):
			if pending < 0 {
				t.Fatalf("segment %q without EXTINF", line)
			}
			if u, err := url.Parse(line); err != nil || !u.IsAbs() {
				t.Fatalf("segment URI is not absolute: %q", line)
			}
			segs = append(segs, segment{pending, line})
			pending = -1
		}
	}
	if !sawEnd || !sawVOD || len(segs) == 0 {
		t.Fatalf("not a complete VOD playlist:\n%s", body)
	}
	return segs
}

// decodes runs the pinned ffmpeg over a file and reports whether it decodes with the given demuxer.
func decodes(t *testing.T, data []byte, demuxer string) error {
	t.Helper()
	ff := mediatest.FFmpeg(t)
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, data, 0o600)
	out, err := exec.Command(ff, "-nostdin", "-v", "error", "-f", demuxer, "-i", p, "-f", "null", "-").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

var allTags = track.Tags{Title: "Song <b>\"One\"</b>", Artist: "Band & Friends", Album: "Live", Year: 2019, Track: 3, Genre: "Rock"}

// TestFormatsBecomeReady uploads each supported format and checks everything a listener gets.
func TestFormatsBecomeReady(t *testing.T) {
	dir := mediatest.Dir(t)
	cases := []struct {
		format, typ, cover, codec string
		tags                      bool
	}{
		{"mp3", "audio/mpeg", "jpeg", "mp3", true},
		{"flac", "audio/flac", "png", "flac", true},
		{"m4a", "audio/mp4", "jpeg", "aac", true},
		{"ogg", "audio/ogg", "", "vorbis", true},
		{"opus", "audio/opus", "", "opus", true},
		{"wav", "audio/wav", "", "pcm_s16le", true},   // RIFF INFO
		{"webm", "audio/webm", "", "opus", true},      // Matroska tags and the Info Title
		{"mka", "audio/webm", "jpeg", "vorbis", true}, // and a cover attachment
		{"aiff", "audio/aiff", "png", "pcm_s16be", true},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			const seconds = 23.5
			spec := mediatest.Spec{Format: tc.format, Seconds: seconds, Cover: tc.cover}
			if tc.tags {
				spec.Tags = allTags
			}
			path := mediatest.Generate(t, dir, spec)
			c := shared.client(t)
			id := c.upload(path, tc.typ)
			m := c.waitDone(id)
			if m["status"] != "ready" {
				t.Fatalf("status %v: %v", m["status"], m["error"])
			}
			if d := m["duration"].(float64); math.Abs(d-seconds) > 0.2 {
				t.Errorf("duration = %v, want %v ± 0.2", d, seconds)
			}
			audio := m["audio"].(map[string]any)
			if audio["codec"] != tc.codec || audio["channels"] != float64(2) || audio["sampleRate"] == nil {
				t.Errorf("audio = %v", audio)
			}
			if tc.tags {
				tags, _ := m["tags"].(map[string]any)
				want := map[string]any{"title": allTags.Title, "artist": allTags.Artist, "album": allTags.Album, "year": float64(2019), "track": float64(3), "genre": "Rock"}
				for k, v := range want {
					if tags[k] != v {
						t.Errorf("tags[%s] = %v, want %v", k, tags[k], v)
					}
				}
			} else if m["tags"] != nil {
				t.Errorf("tags = %v for an untagged file", m["tags"])
			}

			// Cover: the very bytes of the picture in the file, with its type.
			if tc.cover != "" {
				_, want := mediatest.Cover(t, dir, tc.cover)
				r := c.do("GET", m["cover"].(string), nil, nil)
				if r.Status != 200 || !bytes.Equal(r.Body, want) || r.Header.Get("Content-Type") != "image/"+tc.cover {
					t.Errorf("cover = %d %s, %d bytes (want %d)", r.Status, r.Header.Get("Content-Type"), len(r.Body), len(want))
				}
			} else if m["cover"] != nil {
				t.Errorf("cover %v for a file without a picture", m["cover"])
			}

			// Preview: a decodable Ogg Vorbis file.
			r := c.do("GET", m["preview"].(string), nil, nil)
			if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("OggS")) {
				t.Fatalf("preview = %d, %d bytes", r.Status, len(r.Body))
			}
			if err := decodes(t, r.Body, "ogg"); err != nil {
				t.Errorf("preview does not decode: %v", err)
			}

			// Waveform: audiowaveform JSON whose data fits its header.
			r = c.do("GET", m["waveform"].(string), nil, nil)
			var wf struct {
				Version, Channels, SampleRate, SamplesPerPixel, Bits, Length int
				Data                                                         []int
			}
			if err := json.Unmarshal(bytes.ReplaceAll(bytes.ReplaceAll(r.Body, []byte("sample_rate"), []byte("SampleRate")), []byte("samples_per_pixel"), []byte("SamplesPerPixel")), &wf); err != nil {
				t.Fatalf("waveform: %v", err)
			}
			if wf.Version != 2 || wf.Channels != 1 || wf.Bits != 8 || len(wf.Data) != wf.Length*2*wf.Channels || wf.Length < 500 {
				t.Errorf("waveform header %+v with %d values", wf, len(wf.Data))
			}
			if d := float64(wf.Length*wf.SamplesPerPixel) / float64(wf.SampleRate); math.Abs(d-seconds) > float64(wf.SamplesPerPixel)/float64(wf.SampleRate)+0.2 {
				t.Errorf("waveform covers %.2f s, want %.2f", d, seconds)
			}

			// Stream: a VOD playlist whose segments add up and all answer.
			stream := m["stream"].(string)
			if stream != shared.cfg.PublicBaseURL+"/api/tracks/"+id+"/stream.m3u8" {
				t.Errorf("stream = %v", stream)
			}
			r = c.do("GET", stream, nil, nil)
			if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
				t.Fatalf("playlist = %d %s", r.Status, r.Header.Get("Content-Type"))
			}
			var sum float64
			for _, s := range parsePlaylist(t, r.Body) {
				sum += s.dur
				if g := c.do("GET", s.url, nil, nil); g.Status != 200 || len(g.Body) == 0 || g.Body[0] != 0x47 {
					t.Fatalf("segment %s = %d, %d bytes", s.url, g.Status, len(g.Body))
				}
			}
			if math.Abs(sum-m["duration"].(float64)) > 0.2 {
				t.Errorf("segments sum to %.3f s, duration %.3f", sum, m["duration"])
			}
			// The share page, as a crawler fetches it: the track's values, escaped.
			page := c.do("GET", "/t/"+id, nil, nil)
			html := string(page.Body)
			if page.Status != 200 || !strings.Contains(html, `<meta property="og:type" content="music.song">`) ||
				!strings.Contains(html, `<meta name="twitter:player" content="`+shared.cfg.PublicBaseURL+`/embed/`+id+`">`) {
				t.Errorf("share page = %d:\n%s", page.Status, html)
			}
			if tc.tags && (strings.Contains(html, "<b>") || !strings.Contains(html, "Song &lt;b&gt;")) {
				t.Errorf("title not escaped in the share page:\n%s", html)
			}
			if tc.cover != "" && !strings.Contains(html, `<meta property="og:image"`) {
				t.Errorf("no og:image for a track with a cover")
			}
			// v1 clients get the preview and the cover too.
			v1 := c.do("GET", "/api/gettrackinfo?id="+id, nil, nil).json(t)
			if v1["preview"] == nil || (tc.cover != "" && v1["tags"].(map[string]any)["image"] == nil) {
				t.Errorf("gettrackinfo = %v", v1)
			}
		})
	}
}

// TestHostileFilesFail: each file of the hostile corpus ends failed with the right code, and a
// listener that the files point at never hears from ffmpeg.
func TestHostileFilesFail(t *testing.T) {
	var hits atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("#EXTM3U\n"))
	})}
	go srv.Serve(l)
	defer srv.Close()

	dir := mediatest.Dir(t)
	cases := []struct{ name, code string }{
		{"hls-playlist", track.ENotAudio},
		{"concat", track.ENotAudio},
		{"text", track.ENotAudio},
		{"random", track.ENotAudio},
		{"id3-random", track.ENotAudio},
		{"truncated-mp3", ""}, // decodes up to the cut, or fails as corrupt: never crashes
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := mediatest.Hostile(t, dir, tc.name, l.Addr().String())
			c := shared.client(t)
			m := c.waitDone(c.upload(path, "audio/mpeg"))
			e, _ := m["error"].(map[string]any)
			switch {
			case tc.code != "" && (m["status"] != "failed" || e["code"] != tc.code):
				t.Fatalf("status %v error %v, want failed %s", m["status"], e, tc.code)
			case tc.code == "" && m["status"] == "failed" && e["code"] != track.ECorrupt:
				t.Fatalf("truncated file: error %v", e)
			case m["status"] == "failed" && (e["message"] == nil || e["message"] == ""):
				t.Fatal("a failure without a message")
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		path := mediatest.Generate(t, dir, mediatest.Spec{Format: "mp3", Seconds: 63})
		c := shared.client(t)
		m := c.waitDone(c.upload(path, "audio/mpeg"))
		if e, _ := m["error"].(map[string]any); m["status"] != "failed" || e["code"] != track.ETooLong || !strings.Contains(e["message"].(string), "1-minute") {
			t.Fatalf("status %v error %v", m["status"], m["error"])
		}
	})
	if n := hits.Load(); n != 0 {
		t.Fatalf("ffmpeg made %d requests to the listener", n)
	}
	// The pipeline still works after the hostile corpus.
	c := shared.client(t)
	if m := c.waitDone(c.upload(mediatest.Generate(t, dir, mediatest.Spec{Format: "mp3", Seconds: 3}), "audio/mpeg")); m["status"] != "ready" {
		t.Fatalf("a normal upload after the corpus: %v", m)
	}
}

// TestDuplicateAndOrphanEvents delivers the same S3 event twice more after processing, and an
// event for a key of no track: nothing changes.
func TestDuplicateAndOrphanEvents(t *testing.T) {
	c := shared.client(t)
	path := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 4})
	id := c.upload(path, "audio/mpeg")
	if m := c.waitDone(id); m["status"] != "ready" {
		t.Fatalf("status %v", m["status"])
	}
	ctx := context.Background()
	before, err := shared.app.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	keysBefore := shared.objectKeys(t, "")
	event := func(key string) events.S3Event {
		var e events.S3Event
		raw := fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-11-23T09:00:00Z","s3":{"bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":1}}}]}`,
			shared.cfg.MediaBucket, shared.cfg.MediaBucket, key)
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	for range 2 {
		if err := shared.proc.Handle(ctx, event(before.OriginalKey)); err != nil {
			t.Fatalf("duplicate event: %v", err)
		}
	}
	if err := shared.proc.Handle(ctx, event("uploads/Zz9Zz9Zz/0b8e5a3c-2f1d-4e7a-9c55-1f0e8d7b6a42")); err != nil {
		t.Fatalf("orphan event: %v", err)
	}
	after, err := shared.app.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("duplicate events changed the item:\n%+v\n%+v", before, after)
	}
	if keysAfter := shared.objectKeys(t, ""); len(keysAfter) != len(keysBefore) {
		t.Fatalf("objects %d → %d", len(keysBefore), len(keysAfter))
	}
	if _, err := shared.app.Store.Get(ctx, "Zz9Zz9Zz"); err == nil {
		t.Fatal("an orphan event created an item")
	}
}

// TestPausedListenerResumes: segment URLs outlive MEDIA_URL_TTL by the track's duration plus the
// pause allowance, so a listener who pauses resumes without reloading the playlist. A runner with
// a 2-second MEDIA_URL_TTL shows it with real signatures: after 3 s the preview URL is refused,
// the segment URLs still play.
func TestPausedListenerResumes(t *testing.T) {
	s, err := newStackWith(t.TempDir(), map[string]string{"MEDIA_URL_TTL": "2s"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.client(t)
	id := c.upload(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 25}), "audio/mpeg")
	m := c.waitDone(id)
	segs := parsePlaylist(t, c.do("GET", m["stream"].(string), nil, nil).Body)
	for _, sg := range segs {
		u, _ := url.Parse(sg.url)
		exp, _ := strconv.Atoi(u.Query().Get("X-Amz-Expires"))
		if time.Duration(exp)*time.Second < time.Hour+25*time.Second {
			t.Fatalf("segment URL lives %ds: a one-hour pause would break playback", exp)
		}
	}
	time.Sleep(3 * time.Second)
	if r := c.do("GET", m["preview"].(string), nil, nil); r.Status != 403 {
		t.Fatalf("preview after MEDIA_URL_TTL = %d, want 403 (the test would prove nothing)", r.Status)
	}
	for _, sg := range segs {
		if r := c.do("GET", sg.url, nil, nil); r.Status != 200 {
			t.Fatalf("segment after the pause = %d", r.Status)
		}
	}
}
