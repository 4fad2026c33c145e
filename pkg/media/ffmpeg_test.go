package media_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
)

func job(t *testing.T, input string, f media.Format) media.Job {
	return media.Job{
		FFmpeg: mediatest.FFmpeg(t), Input: input, Format: f, OutDir: t.TempDir(),
		SegmentSeconds: 4, MaxDuration: time.Minute, Timeout: time.Minute,
		PCM: media.NewPeaks(media.SampleRate),
	}
}

func sniffFile(t *testing.T, path string) media.Format {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := media.Sniff(b)
	if err != nil {
		t.Fatalf("sniff %s: %v", path, err)
	}
	return f
}

func TestTranscodeWritesEveryOutput(t *testing.T) {
	in := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "flac", Seconds: 9.5})
	j := job(t, in, sniffFile(t, in))
	peaks := j.PCM.(*media.Peaks)
	out, err := media.Transcode(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Duration(); d < 9.45 || d > 9.55 {
		t.Errorf("duration %.3f, want 9.5", d)
	}
	if peaks.Samples() != out.Samples {
		t.Errorf("peaks saw %d samples, Transcode counted %d", peaks.Samples(), out.Samples)
	}
	if len(out.Segments) != 3 { // 4 + 4 + 1.5 seconds
		t.Errorf("segments %v", out.Segments)
	}
	for _, p := range append([]string{out.Preview, out.Playlist}, out.Segments...) {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if out.Audio.Codec != "flac" || out.Audio.SampleRate != 44100 || out.Audio.Channels != 2 {
		t.Errorf("audio %+v", out.Audio)
	}
}

// TestArgsHarden pins the flags that keep a hostile file away from the network, other files and
// other decoders.
func TestArgsHarden(t *testing.T) {
	j := media.Job{FFmpeg: "ffmpeg", Input: "/tmp/in", Format: media.Format{Name: "mp3", Demuxer: "mp3", Decoders: []string{"mp3", "mp3float"}},
		OutDir: "/tmp/out", SegmentSeconds: 10, MaxDuration: 4 * time.Hour, Timeout: time.Minute}
	args := j.Args()
	flag := func(name string) string {
		i := slices.Index(args, name)
		if i < 0 || i+1 >= len(args) {
			t.Fatalf("no %s in %q", name, args)
		}
		return args[i+1]
	}
	for name, want := range map[string]string{
		"-protocol_whitelist": "file,pipe", "-format_whitelist": "mp3", "-f": "mp3",
		"-codec_whitelist": "mp3,mp3float", "-t": "14401.000", "-i": "/tmp/in", "-hls_time": "10",
	} {
		if got := flag(name); got != want {
			t.Errorf("%s %s, want %s", name, got, want)
		}
	}
	if !slices.Contains(args, "-nostdin") {
		t.Error("no -nostdin")
	}
	// -t and the whitelists are input options: they must come before -i.
	in := slices.Index(args, "-i")
	for _, name := range []string{"-t", "-format_whitelist", "-codec_whitelist", "-protocol_whitelist", "-f"} {
		if slices.Index(args, name) > in {
			t.Errorf("%s after -i applies to an output, not the input", name)
		}
	}
	if n := strings.Count(strings.Join(args, " "), "-fs "); n != 2 {
		t.Errorf("-fs bounds %d outputs, want the 2 files", n)
	}
}

// TestForcedDemuxerRefusesScripts gives ffmpeg the playlist and concat attacks as if sniffing had
// let them through as MP3: the forced demuxer and the whitelists refuse them, and the listener
// they point at hears nothing.
func TestForcedDemuxerRefusesScripts(t *testing.T) {
	var hits atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })}
	go srv.Serve(l)
	defer srv.Close()
	mp3 := media.Format{Name: "mp3", Demuxer: "mp3", Decoders: []string{"mp3", "mp3float"}}
	for _, name := range []string{"hls-playlist", "concat", "text"} {
		t.Run(name, func(t *testing.T) {
			in := mediatest.Hostile(t, mediatest.Dir(t), name, l.Addr().String())
			_, err := media.Transcode(context.Background(), job(t, in, mp3))
			if !errors.Is(err, media.ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("ffmpeg made %d requests", hits.Load())
	}
}

func TestTooLong(t *testing.T) {
	in := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "wav", Seconds: 12})
	j := job(t, in, sniffFile(t, in))
	j.MaxDuration = 10 * time.Second
	if _, err := media.Transcode(context.Background(), j); !errors.Is(err, media.ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	j.OutDir = t.TempDir()
	j.MaxDuration = 12 * time.Second
	if _, err := media.Transcode(context.Background(), j); err != nil {
		t.Fatalf("a track exactly at the limit: %v", err)
	}
}

// fakeFFmpeg writes a script that records its environment and arguments, then runs body.
func fakeFFmpeg(t *testing.T, body string) (bin, record string) {
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	bin = filepath.Join(dir, "ffmpeg")
	script := "#!/bin/sh\nenv > " + record + ".env\nprintf '%s\\n' \"$@\" > " + record + ".args\n" + body + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return bin, record
}

// TestFFmpegGetsNoSecrets: in Lambda the role's credentials are environment variables; ffmpeg
// must not inherit them.
func TestFFmpegGetsNoSecrets(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
	t.Setenv("AWS_SESSION_TOKEN", "do-not-leak")
	bin, record := fakeFFmpeg(t, "exit 1")
	j := job(t, "/nonexistent; rm -rf /", media.Format{Name: "mp3", Demuxer: "mp3", Decoders: []string{"mp3"}})
	j.FFmpeg = bin
	if _, err := media.Transcode(context.Background(), j); !errors.Is(err, media.ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
	env, err := os.ReadFile(record + ".env")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), "do-not-leak") || strings.Contains(string(env), "AWS_") {
		t.Fatalf("ffmpeg saw the environment:\n%s", env)
	}
	args, _ := os.ReadFile(record + ".args")
	if !strings.Contains(string(args), "\n/nonexistent; rm -rf /\n") {
		t.Fatalf("the input path did not arrive as one argument:\n%s", args)
	}
}

// TestTimeoutKillsTheProcessGroup: a hung ffmpeg, and a child it started, are killed at the
// deadline.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	bin, record := fakeFFmpeg(t, "sleep 30 & echo $! > "+filepath.Join(t.TempDir(), "x")+"; sleep 30")
	_ = record
	j := job(t, "/in", media.Format{Name: "mp3", Demuxer: "mp3", Decoders: []string{"mp3"}})
	j.FFmpeg = bin
	j.Timeout = 500 * time.Millisecond
	start := time.Now()
	_, err := media.Transcode(context.Background(), j)
	if !errors.Is(err, media.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Transcode returned after %v: the process was not killed", d)
	}
}

// TestSniffFileLooksPastBigTags: an MP3 whose ID3 tag (a large cover) ends beyond the sniff
// window is still an MP3, and decodes.
func TestSniffFileLooksPastBigTags(t *testing.T) {
	plain := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 3})
	frames, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	// Drop the generated file's own ID3 tag: keep its MPEG frames.
	if string(frames[:3]) == "ID3" {
		n := int(frames[6])<<21 | int(frames[7])<<14 | int(frames[8])<<7 | int(frames[9])
		frames = frames[10+n:]
	}
	const pad = 3 << 20 // a 3 MiB tag of padding, as a big cover would be
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(pad >> 21 & 0x7f), byte(pad >> 14 & 0x7f), byte(pad >> 7 & 0x7f), byte(pad & 0x7f)}
	file := append(append(tag, make([]byte, pad)...), frames...)
	if _, err := media.Sniff(file[:media.SniffLen]); !errors.Is(err, media.ErrNotAudio) {
		t.Fatalf("the head alone: %v (the test needs a tag longer than the head)", err)
	}
	f, err := media.SniffFile(bytes.NewReader(file), int64(len(file)))
	if err != nil || f.Name != "mp3" {
		t.Fatalf("SniffFile = %+v, %v", f, err)
	}
	p := filepath.Join(t.TempDir(), "big-tag.mp3")
	os.WriteFile(p, file, 0o600)
	out, err := media.Transcode(context.Background(), job(t, p, f))
	if err != nil || out.Duration() < 2.9 {
		t.Fatalf("transcode: %v, %.2f s", err, out.Duration())
	}
	// A tag that claims more than the file holds, or garbage after it, is not audio.
	for name, b := range map[string][]byte{
		"tag past the end":  append(append([]byte{}, tag...), make([]byte, 100)...),
		"garbage after tag": append(append(append([]byte{}, tag...), make([]byte, pad)...), bytes.Repeat([]byte("junk"), 5000)...),
	} {
		if _, err := media.SniffFile(bytes.NewReader(b), int64(len(b))); !errors.Is(err, media.ErrNotAudio) {
			t.Errorf("%s: %v, want ErrNotAudio", name, err)
		}
	}
}
