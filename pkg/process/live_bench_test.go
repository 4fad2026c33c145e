package process_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// minuteOfMP3 is a minute of MP3 without tags or Xing header: repeated, it is a longer MP3 (a
// stream of frames), made at once where encoding two hours would take minutes.
func minuteOfMP3(b *testing.B) []byte {
	p := filepath.Join(b.TempDir(), "minute.mp3")
	out, err := exec.Command(mediatest.FFmpeg(b), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=60",
		"-c:a", "libmp3lame", "-b:a", "128k", "-ac", "2", "-write_xing", "0", "-id3v2_version", "0", p).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkFirstPlay measures, for a 1-minute and a 2-hour upload, the time from the upload's
// event to the track being playable (first segment and EVENT playlist stored, the track marked)
// and to it being ready, in the same run, through the real pipeline and the pinned ffmpeg, with
// the in-memory table and bucket. It reports both and their ratio:
//
//	go test -run '^$' -bench FirstPlay -benchtime 1x -timeout 30m ./pkg/process/
func BenchmarkFirstPlay(b *testing.B) {
	for _, minutes := range []int{1, 120} {
		b.Run(fmt.Sprintf("%dmin", minutes), func(b *testing.B) {
			data := bytes.Repeat(minuteOfMP3(b), minutes)
			var playable, ready time.Duration
			for range b.N {
				f := newFixture(b)
				f.h.Media.MaxDuration, f.h.Media.Timeout, f.h.Media.SegmentSeconds = 3*time.Hour, time.Hour, 10
				tr := f.createWith(b, data, "audio/mpeg")
				var start time.Time
				f.store.ReplaceHook = func(next *track.Track) error {
					if next.Status == track.StatusProcessing && next.Playable() && playable == 0 {
						playable = time.Since(start)
					}
					return nil
				}
				start = time.Now()
				if err := f.h.Handle(context.Background(), event(b, "media", tr.OriginalKey, "ObjectCreated:Put")); err != nil {
					b.Fatal(err)
				}
				ready = time.Since(start)
				if got, _ := f.store.Get(context.Background(), tr.ID); got.Status != track.StatusReady || playable == 0 {
					b.Fatalf("status %s, playable after %v", got.Status, playable)
				}
			}
			b.ReportMetric(playable.Seconds(), "s-to-playable")
			b.ReportMetric(ready.Seconds(), "s-to-ready")
			b.ReportMetric(playable.Seconds()/ready.Seconds(), "playable/ready")
		})
	}
}
