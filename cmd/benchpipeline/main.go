// Command benchpipeline measures the process function (`make bench`): on one generated input it
// alternates the full pipeline (S3 get, tags, ffmpeg, peaks, S3 puts, item update, against the
// real local S3 and DynamoDB servers) with the bare ffmpeg command that makes the same three
// outputs, and reports the pairwise ratio of their wall times and the realtime factor; then it
// runs the pipeline in a child process on a short and a long input and compares the Go process's
// own peak RSS. Ratios in one run, not absolute times, are what it reports: the machines are
// shared and noisy. Run it under `taskset -c 0` to measure one core.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/track"
)

func main() {
	minutes := flag.Float64("minutes", 10, "length of the compared input")
	runs := flag.Int("runs", 3, "pairs of runs")
	rssShort := flag.Float64("rss-short", 1, "minutes of the short RSS input (0: skip the RSS check)")
	rssLong := flag.Float64("rss-long", 60, "minutes of the long RSS input")
	child := flag.String("child", "", "internal: run the pipeline once on this file and print the peak RSS")
	flag.Parse()
	if err := run(*minutes, *runs, *rssShort, *rssLong, *child); err != nil {
		fmt.Fprintln(os.Stderr, "benchpipeline:", err)
		os.Exit(1)
	}
}

func run(minutes float64, runs int, rssShort, rssLong float64, child string) error {
	ff, err := localaws.FFmpeg()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "benchpipeline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if child != "" {
		env, err := newEnv(work, ff)
		if err != nil {
			return err
		}
		defer env.close()
		if _, err := env.pipeline(child); err != nil {
			return err
		}
		fmt.Println(peakRSS())
		return nil
	}

	fmt.Printf("ffmpeg %s\n", ff)
	input := filepath.Join(work, "input.mp3")
	if err := generate(ff, input, minutes); err != nil {
		return err
	}
	env, err := newEnv(work, ff)
	if err != nil {
		return err
	}
	defer env.close()
	seconds := minutes * 60
	var bare, pipe, ratios []float64
	for i := 0; i < runs; i++ {
		b, err := env.bare(input)
		if err != nil {
			return err
		}
		p, err := env.pipeline(input)
		if err != nil {
			return err
		}
		bare, pipe, ratios = append(bare, b.Seconds()), append(pipe, p.Seconds()), append(ratios, p.Seconds()/b.Seconds())
		fmt.Printf("pair %d: bare ffmpeg %.2f s, pipeline %.2f s, ratio %.3f\n", i+1, b.Seconds(), p.Seconds(), p.Seconds()/b.Seconds())
	}
	fmt.Printf("\n%.0f-minute input, %d pairs, medians:\n", minutes, runs)
	fmt.Printf("  bare ffmpeg   %6.2f s  %5.1f× realtime\n", median(bare), seconds/median(bare))
	fmt.Printf("  pipeline      %6.2f s  %5.1f× realtime\n", median(pipe), seconds/median(pipe))
	fmt.Printf("  pipeline / bare ffmpeg: %.3f (median of pairwise ratios; min %.3f, max %.3f)\n", median(ratios), slices.Min(ratios), slices.Max(ratios))
	env.close()

	if rssShort <= 0 {
		return nil
	}
	fmt.Println()
	var peaks []int64
	for _, m := range []float64{rssShort, rssLong} {
		in := filepath.Join(work, fmt.Sprintf("rss-%g.mp3", m))
		if err := generate(ff, in, m); err != nil {
			return err
		}
		out, err := exec.Command(os.Args[0], "-child", in).Output()
		if err != nil {
			return fmt.Errorf("child on %g minutes: %w", m, err)
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return fmt.Errorf("child output %q", out)
		}
		peaks = append(peaks, kb)
		fmt.Printf("peak RSS of the Go process, %3g-minute input: %6.1f MB\n", m, float64(kb)/1024)
		os.Remove(in)
	}
	fmt.Printf("difference: %+.1f MB\n", float64(peaks[1]-peaks[0])/1024)
	return nil
}

// generate writes an MP3 of m minutes: two tones under pink-ish noise, so the encoders work as on
// music rather than on silence.
func generate(ff, path string, m float64) error {
	d := strconv.FormatFloat(m*60, 'f', 1, 64)
	cmd := exec.Command(ff, "-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", "aevalsrc=0.3*sin(440*2*PI*t)+0.1*sin(3*PI*t)*sin(660*2*PI*t)|0.3*sin(550*2*PI*t):s=44100:d="+d,
		"-f", "lavfi", "-i", "anoisesrc=c=pink:a=0.05:d="+d,
		"-filter_complex", "[0][1]amix=inputs=2:duration=first",
		"-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3", "-metadata", "title=Bench", "-metadata", "artist=Soundtime",
		path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("generate %s: %v: %s", path, err, out)
	}
	return nil
}

type env struct {
	dir   string
	ff    string
	stack *localaws.Stack
	e     *app.App
	h     *process.Handler
}

func newEnv(dir, ff string) (*env, error) {
	ctx := context.Background()
	st, err := localaws.Start(ctx, localaws.Options{Dir: filepath.Join(dir, "aws")})
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(func(string) string { return "" }, config.Local)
	if err != nil {
		return nil, err
	}
	if err := localaws.EnsureBucket(ctx, st.S3(), cfg.MediaBucket, cfg.PublicBaseURL); err != nil {
		return nil, err
	}
	if err := localaws.EnsureTracksTable(ctx, st.DynamoDB(), cfg.TableName); err != nil {
		return nil, err
	}
	if err := localaws.EnsureStatsTable(ctx, st.DynamoDB(), cfg.StatsTable); err != nil {
		return nil, err
	}
	cfg.FFmpegPath = ff
	e := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), st.S3(), st.DynamoDB())
	h, err := e.Process()
	if err != nil {
		return nil, err
	}
	h.Media.TempDir = dir
	return &env{dir: dir, ff: ff, stack: st, e: e, h: h}, nil
}

func (v *env) close() {
	if v.stack != nil {
		v.stack.Close()
		v.stack = nil
	}
}

// bare runs the same ffmpeg command the pipeline runs, PCM thrown away.
func (v *env) bare(input string) (time.Duration, error) {
	b, err := os.ReadFile(input)
	if err != nil {
		return 0, err
	}
	f, err := media.Sniff(b[:min(len(b), media.SniffLen)])
	if err != nil {
		return 0, err
	}
	out, err := os.MkdirTemp(v.dir, "bare-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(out)
	os.MkdirAll(filepath.Join(out, "hls"), 0o700)
	j := media.Job{FFmpeg: v.ff, Input: input, Format: f, OutDir: out, SegmentSeconds: v.h.Media.SegmentSeconds, MaxDuration: v.h.Media.MaxDuration}
	cmd := exec.Command(v.ff, j.Args()...)
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("bare ffmpeg: %v: %s", err, stderr.Bytes())
	}
	return time.Since(start), nil
}

// pipeline uploads input as a new track and times the process function's handler on its event.
func (v *env) pipeline(input string) (time.Duration, error) {
	ctx := context.Background()
	data, err := os.Open(input)
	if err != nil {
		return 0, err
	}
	defer data.Close()
	st, _ := data.Stat()
	h := md5.New()
	io.Copy(h, data)
	data.Seek(0, io.SeekStart)
	c, err := v.e.Tracks.Create(ctx, track.UploadRequest{Filename: "bench.mp3", Type: "audio/mpeg", Size: st.Size(), MD5: base64.StdEncoding.EncodeToString(h.Sum(nil))})
	if err != nil {
		return 0, err
	}
	if err := v.e.Bucket.Put(ctx, c.Track.OriginalKey, data, st.Size(), track.PutOptions{ContentType: "audio/mpeg"}); err != nil {
		return 0, err
	}
	var e events.S3Event
	raw, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": v.h.Bucket}, "object": map[string]any{"key": c.Track.OriginalKey, "size": st.Size()}},
	}}})
	json.Unmarshal(raw, &e)
	start := time.Now()
	if err := v.h.Handle(ctx, e); err != nil {
		return 0, err
	}
	d := time.Since(start)
	t, err := v.e.Tracks.Get(ctx, c.Track.ID)
	if err != nil || t.Status != track.StatusReady {
		return 0, fmt.Errorf("track not ready after the pipeline: %+v %v", t, err)
	}
	return d, nil
}

// peakRSS returns this process's peak resident set in kB (VmHWM).
func peakRSS() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.Fields(l)[1]
		}
	}
	return "0"
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
