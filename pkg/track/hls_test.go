package track_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

// ffmpegPlaylist is an EVENT playlist as ffmpeg's HLS muxer writes it after its third segment.
const ffmpegPlaylist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n" +
	"#EXTINF:10.008778,\nseg00000.ts\n#EXTINF:10.008778,\nseg00001.ts\n#EXTINF:9.985556,\nseg00002.ts\n"

func TestParseSegmentsTakesOnlyWholeEntries(t *testing.T) {
	three := []track.Segment{{"seg00000.ts", 10.008778}, {"seg00001.ts", 10.008778}, {"seg00002.ts", 9.985556}}
	// Every prefix of the file, as a read that catches ffmpeg rewriting it sees it: never an
	// entry whose name line has not ended, never a name without its duration.
	for n := 0; n <= len(ffmpegPlaylist); n++ {
		got := track.ParseSegments([]byte(ffmpegPlaylist[:n]))
		want := 0
		for i := range three {
			if end := strings.Index(ffmpegPlaylist, three[i].Name+"\n"); end >= 0 && end+len(three[i].Name)+1 <= n {
				want = i + 1
			}
		}
		if len(got) != want || want > 0 && !reflect.DeepEqual(got, three[:want]) {
			t.Fatalf("prefix of %d bytes: %v, want %v", n, got, three[:want])
		}
	}
	for name, bad := range map[string]string{
		"out of order":    "#EXTINF:10,\nseg00000.ts\n#EXTINF:10,\nseg00002.ts\n",
		"no duration":     "#EXTINF:10,\nseg00000.ts\nseg00001.ts\n",
		"a path":          "#EXTINF:10,\nseg00000.ts\n#EXTINF:10,\n../seg00001.ts\n",
		"a bad duration":  "#EXTINF:10,\nseg00000.ts\n#EXTINF:NaN,\nseg00001.ts\n",
		"a zero duration": "#EXTINF:10,\nseg00000.ts\n#EXTINF:0,\nseg00001.ts\n",
		"a URL":           "#EXTINF:10,\nseg00000.ts\n#EXTINF:10,\nhttp://x/seg00001.ts\n",
		"a trailing tag":  "#EXTINF:10,\nseg00000.ts\n#EXTINF:10,\n#EXT-X-ENDLIST\n",
	} {
		if got := track.ParseSegments([]byte(bad)); len(got) != 1 || got[0].Name != "seg00000.ts" {
			t.Errorf("%s: %v, want only seg00000.ts", name, got)
		}
	}
}

func TestFormatPlaylistEventThenVOD(t *testing.T) {
	segs := []track.Segment{{"seg00000.ts", 10.008778}, {"seg00001.ts", 9.985556}}
	event := string(track.FormatPlaylist(segs[:1], 10, false))
	wantEvent := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n" +
		"#EXTINF:10.008778,\nseg00000.ts\n"
	if event != wantEvent {
		t.Errorf("EVENT playlist:\n%s\nwant\n%s", event, wantEvent)
	}
	grown := string(track.FormatPlaylist(segs, 10, false))
	if !strings.HasPrefix(grown, event) || strings.Contains(grown, "ENDLIST") {
		t.Errorf("a grown EVENT playlist must only append to the last one and have no ENDLIST:\n%s", grown)
	}
	vod := string(track.FormatPlaylist(segs, 10, true))
	wantVOD := strings.Replace(grown, "EVENT", "VOD", 1) + "#EXT-X-ENDLIST\n"
	if vod != wantVOD {
		t.Errorf("VOD playlist:\n%s\nwant\n%s", vod, wantVOD)
	}
	if got := track.ParseSegments([]byte(vod)); !reflect.DeepEqual(got, segs) {
		t.Errorf("the written playlist parses back to %v, want %v", got, segs)
	}
	// A segment longer than the target raises it, as RFC 8216 requires.
	if long := string(track.FormatPlaylist([]track.Segment{{"seg00000.ts", 11.6}}, 10, true)); !strings.Contains(long, "#EXT-X-TARGETDURATION:12\n") {
		t.Errorf("target not raised:\n%s", long)
	}
}

// TestPlayableWhileProcessing: once its first segments are published a processing track streams
// its EVENT playlist, signed; marking it twice changes nothing; a failed one never streams.
func TestPlayableWhileProcessing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.processing(t)
	id := c.Track.ID
	run, err := f.svc.Begin(ctx, f.stored(t, id))
	if err != nil {
		t.Fatal(err)
	}
	if run.Playable() {
		t.Fatal("playable before any segment")
	}
	segs := []track.Segment{{"seg00000.ts", 10}}
	f.blobs.PutBytes(track.SegmentKey(id, "seg00000.ts"), "video/mp2t", []byte("ts"))
	f.blobs.PutBytes(track.PlaylistKey(id), "application/vnd.apple.mpegurl", track.FormatPlaylist(segs, 10, false))
	if got, err := f.svc.PublishedSegments(ctx, run); err != nil || len(got) != 0 {
		t.Errorf("PublishedSegments before the mark = %v, %v; want none", got, err)
	}
	marked, err := f.svc.MarkPlayable(ctx, run)
	if err != nil || !marked.Playable() || marked.Status != track.StatusProcessing {
		t.Fatalf("MarkPlayable = %+v, %v", marked, err)
	}
	again, err := f.svc.MarkPlayable(ctx, marked)
	if err != nil || again.Version != marked.Version {
		t.Errorf("a second MarkPlayable = %+v, %v; want the track unchanged", again, err)
	}
	if _, err := f.svc.MarkPlayable(ctx, run); !errors.Is(err, track.ErrConflict) {
		t.Errorf("MarkPlayable of a stale read = %v, want ErrConflict", err)
	}
	if got, err := f.svc.PublishedSegments(ctx, marked); err != nil || !reflect.DeepEqual(got, segs) {
		t.Errorf("PublishedSegments = %v, %v; want %v", got, err, segs)
	}
	body, live, err := f.svc.Playlist(ctx, id)
	if err != nil || !live {
		t.Fatalf("Playlist = live %v, %v", live, err)
	}
	if s := string(body); !strings.Contains(s, "#EXT-X-PLAYLIST-TYPE:EVENT\n") || strings.Contains(s, "ENDLIST") ||
		!strings.Contains(s, "\nmem://bucket/"+track.SegmentKey(id, "seg00000.ts")+"?") || strings.Contains(s, "\nseg00000.ts") {
		t.Errorf("live playlist:\n%s", s)
	}
	if _, err := f.svc.Fail(ctx, marked, track.ECorrupt, "corrupt"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Playlist(ctx, id)
	wantCode(t, err, track.ETrackFailed)
	if keys := f.blobs.Keys(track.DerivedPrefix + id + "/"); len(keys) != 0 {
		t.Errorf("a failed track keeps %v", keys)
	}
}
