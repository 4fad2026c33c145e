package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitPlayableWhileProcessing polls the track until it says playable while still processing,
// and fails if it is ready or failed first.
func (c client) waitPlayableWhileProcessing(id string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		m := c.do(http.MethodGet, "/api/tracks/"+id, nil, nil).json(c.t)
		switch {
		case m["status"] == "processing" && m["playable"] == true:
			return m
		case m["status"] == "processing" && (m["playable"] != nil || m["stream"] != nil):
			c.t.Fatalf("stream or playable without the other: %v", m)
		case m["status"] == "ready" || m["status"] == "failed":
			c.t.Fatalf("track %s %s before it was seen playable while processing", id, m["status"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("track %s never playable while processing", id)
	return nil
}

// livePlaylist fetches the EVENT playlist of a track processing and checks that its signed
// segment URLs answer.
func (c client) livePlaylist(m map[string]any) []segment {
	c.t.Helper()
	r := c.do(http.MethodGet, m["stream"].(string), nil, nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		c.t.Fatalf("stream while processing = %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	if !strings.Contains(body, "\n#EXT-X-PLAYLIST-TYPE:EVENT\n") || strings.Contains(body, "#EXT-X-ENDLIST") {
		c.t.Fatalf("not a growing EVENT playlist:\n%s", body)
	}
	// parsePlaylist wants a complete VOD playlist: check the entries with it as if it were one.
	segs := parsePlaylist(c.t, []byte(strings.Replace(body, "EVENT", "VOD", 1)+"#EXT-X-ENDLIST\n"))
	for _, s := range segs[:min(len(segs), 3)] {
		if g := c.do(http.MethodGet, s.url, nil, nil); g.Status != 200 || len(g.Body) == 0 || g.Body[0] != 0x47 {
			c.t.Fatalf("segment %s = %d, %d bytes", s.url, g.Status, len(g.Body))
		}
	}
	return segs
}

// TestPlayableWhileProcessing: a three-minute upload through the runner and the real local
// servers says playable with its stream while it is still processing; the stream is an EVENT
// playlist whose signed segment URLs answer 200; once ready it is the VOD playlist with
// ENDLIST, beginning with the same segments.
func TestPlayableWhileProcessing(t *testing.T) {
	t.Parallel()
	s, err := newStackWith(t.TempDir(), map[string]string{"MAX_DURATION": "10m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.client(t)
	body, sum := audioBytes(t, 180)
	id, url := createTrack(c, "long.mp3", body, sum)
	putOriginal(c, url, body, sum)
	m := c.waitPlayableWhileProcessing(id)
	if m["waveform"] != nil || m["preview"] != nil || m["duration"] != nil {
		t.Errorf("a processing track shows what does not exist yet: %v", m)
	}
	live := c.livePlaylist(m)
	ready := c.waitStatusWithin(id, "ready", 90*time.Second)
	if ready["playable"] != true || ready["stream"] != m["stream"] {
		t.Errorf("ready track: playable %v stream %v", ready["playable"], ready["stream"])
	}
	r := c.do(http.MethodGet, ready["stream"].(string), nil, nil)
	vod := parsePlaylist(t, r.Body)
	if len(vod) <= len(live) {
		t.Errorf("VOD playlist of %d segments after an EVENT one of %d", len(vod), len(live))
	}
	for i := range live {
		if live[i].dur != vod[i].dur {
			t.Errorf("segment %d lasts %v in the EVENT playlist, %v in the VOD one", i, live[i].dur, vod[i].dur)
		}
	}
}

// TestFailureMidwayRemovesTheSegments: an upload that fails after its first segments were
// published (longer than MAX_DURATION: ffmpeg stops at the limit and the track is refused)
// was playable while processing, ends failed with its reason, and no segment, playlist or
// other object of it is left.
func TestFailureMidwayRemovesTheSegments(t *testing.T) {
	t.Parallel()
	s, err := newStackWith(t.TempDir(), map[string]string{"MAX_DURATION": "3m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.client(t)
	body, sum := audioBytes(t, 240)
	id, url := createTrack(c, "too-long.mp3", body, sum)
	putOriginal(c, url, body, sum)
	m := c.waitPlayableWhileProcessing(id)
	c.livePlaylist(m)
	failed := c.waitStatusWithin(id, "failed", 90*time.Second)
	if e, _ := failed["error"].(map[string]any); e["code"] != "too_long" || failed["playable"] != nil || failed["stream"] != nil {
		t.Errorf("failed track: %v", failed)
	}
	if r := c.do(http.MethodGet, m["stream"].(string), nil, nil); r.Status != http.StatusConflict || r.errorCode(t) != "failed" {
		t.Errorf("stream of the failed track = %d %s", r.Status, r.Body)
	}
	// The failure is recorded first, then the objects are deleted.
	s.noObjects(t, id)
}
