// Package mediatest makes the audio files that media's tests read. Nothing binary is committed:
// every file is written at test time by the pinned static ffmpeg (localaws.FFmpeg), once per
// (directory, spec) in a test process. README.md says how each file is made.
package mediatest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/track"
)

// Spec describes a file to generate.
type Spec struct {
	// Format is one of "mp3", "flac", "m4a", "ogg" (Vorbis), "opus", "wav", "aiff", "webm" (Opus),
	// or, for sniffing tests, "aac" (ADTS), "oggflac" (FLAC in Ogg), "rf64" (WAV with a ds64
	// chunk), "aifc" (AIFF-C with float samples) and "mka" (Vorbis in Matroska).
	Format string
	// Seconds of a 440 Hz / 660 Hz stereo sine; 0 means 2.
	Seconds float64
	// Tags are written with -metadata; zero fields are left out.
	Tags track.Tags
	// Cover is "", "jpeg" or "png": the file made by Cover, embedded as front cover art. Formats
	// that cannot carry one here (wav, rf64, aifc, webm, aac, oggflac) fail the test.
	Cover string
}

// Tags are the tags most tests write.
var Tags = track.Tags{
	Title:  "Sine Wave Study",
	Artist: "The Oscillators",
	Album:  "Test Tones",
	Year:   2024,
	Track:  3,
	Genre:  "Electronic",
}

type key struct {
	dir  string
	spec Spec
}

type hostileKey struct {
	dir, name, listener string
}

// entry is one generated file; once makes concurrent callers wait for the first to finish.
type entry struct {
	once sync.Once
	path string
	err  error
}

var (
	files   sync.Map // key, hostileKey or cover name → *entry
	shared  string   // the directory made by Run
	sharing bool
)

// Run runs m with one directory shared by every test for generated files, so each file is made
// once per process, and removes it afterwards. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(mediatest.Run(m)) }
func Run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mediatest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mediatest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	shared, sharing = dir, true
	return m.Run()
}

// Dir returns the directory made by Run, or t.TempDir() when the package's TestMain does not
// call Run (files are then made again for every test).
func Dir(t testing.TB) string {
	if sharing {
		return shared
	}
	return t.TempDir()
}

// once returns the path that gen writes for k, calling gen at most once per k in this process.
func once(t testing.TB, k any, gen func() (string, error)) string {
	t.Helper()
	v, _ := files.LoadOrStore(k, new(entry))
	e := v.(*entry)
	e.once.Do(func() { e.path, e.err = gen() })
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e.path
}

// FFmpeg returns the ffmpeg the tests run, failing t when there is none.
func FFmpeg(t testing.TB) string {
	t.Helper()
	p, err := localaws.FFmpeg()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ffmpeg runs the static ffmpeg with args. It judges by exit status alone, since ffmpeg writes
// noise on stderr even at -loglevel error; stderr goes into the error.
func ffmpeg(bin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mediatest: ffmpeg %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return nil
}

// Cover writes a 500x500 image of kind "jpeg" (solid red) or "png" (ffmpeg's test pattern) into
// dir and returns its path and bytes.
func Cover(t testing.TB, dir, kind string) (path string, data []byte) {
	t.Helper()
	bin := FFmpeg(t)
	path = once(t, key{dir: dir, spec: Spec{Format: "cover", Cover: kind}}, func() (string, error) {
		var src, name string
		switch kind {
		case "jpeg":
			src, name = "color=c=red:size=500x500", "cover.jpg"
		case "png":
			src, name = "testsrc=size=500x500:rate=1", "cover.png"
		default:
			return "", fmt.Errorf("mediatest: unknown cover kind %q", kind)
		}
		p := filepath.Join(dir, name)
		return p, ffmpeg(bin, "-f", "lavfi", "-i", src, "-frames:v", "1", p)
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// Generate writes the file described by spec into dir with the static ffmpeg and returns its
// path. The same spec in the same dir is generated once per test process.
func Generate(t testing.TB, dir string, spec Spec) string {
	t.Helper()
	bin := FFmpeg(t)
	var cover string
	var coverData []byte
	if spec.Cover != "" {
		cover, coverData = Cover(t, dir, spec.Cover)
	}
	return once(t, key{dir: dir, spec: spec}, func() (string, error) {
		return generate(bin, dir, spec, cover, coverData)
	})
}

func generate(bin, dir string, spec Spec, cover string, coverData []byte) (string, error) {
	secs := spec.Seconds
	if secs <= 0 {
		secs = 2
	}
	rate := 44100
	if spec.Format == "opus" || spec.Format == "webm" {
		rate = 48000 // libopus encodes 48 kHz (or a divisor of it) only
	}
	src := fmt.Sprintf("aevalsrc=sin(440*2*PI*t)|sin(660*2*PI*t):s=%d:d=%s", rate,
		strconv.FormatFloat(secs, 'f', -1, 64))

	args := []string{"-f", "lavfi", "-i", src}
	withCover := func(extra ...string) {
		args = append(args, "-i", cover, "-map", "0:a", "-map", "1:v", "-c:v", "copy")
		args = append(args, extra...)
	}

	var ext string
	var codec []string
	coverOK := false

	switch spec.Format {
	case "mp3":
		ext, coverOK = ".mp3", true
		if cover != "" {
			withCover("-metadata:s:v", "title=Album cover", "-metadata:s:v", "comment=Cover (front)")
		}
		codec = []string{"-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"}
	case "flac":
		ext, coverOK = ".flac", true
		if cover != "" {
			withCover("-disposition:v", "attached_pic", "-metadata:s:v", "comment=Cover (front)")
		}
		codec = []string{"-c:a", "flac"}
	case "m4a":
		ext, coverOK = ".m4a", true
		if cover != "" {
			withCover("-disposition:v", "attached_pic")
		}
		codec = []string{"-c:a", "aac", "-b:a", "128k", "-f", "ipod"}
	case "ogg", "opus":
		ext, coverOK = "."+spec.Format, true
		if spec.Format == "ogg" {
			codec = []string{"-c:a", "libvorbis", "-q:a", "4", "-f", "ogg"}
		} else {
			codec = []string{"-c:a", "libopus", "-b:a", "96k", "-f", "ogg"}
		}
		if cover != "" {
			block, err := flacPicture(spec.Cover, coverData)
			if err != nil {
				return "", err
			}
			codec = append(codec, "-metadata", "METADATA_BLOCK_PICTURE="+block)
		}
	case "wav":
		ext = ".wav"
		codec = []string{"-c:a", "pcm_s16le", "-f", "wav"}
	case "rf64":
		ext = ".wav"
		codec = []string{"-c:a", "pcm_s16le", "-rf64", "always", "-f", "wav"}
	case "aiff":
		ext, coverOK = ".aiff", true
		if cover != "" {
			withCover("-disposition:v", "attached_pic")
		}
		codec = []string{"-c:a", "pcm_s16be", "-write_id3v2", "1", "-id3v2_version", "3", "-f", "aiff"}
	case "aifc":
		ext = ".aifc"
		codec = []string{"-c:a", "pcm_f32be", "-f", "aiff"}
	case "webm":
		ext = ".webm"
		codec = []string{"-c:a", "libopus", "-b:a", "96k", "-f", "webm"}
	case "mka":
		ext, coverOK = ".mka", true
		codec = []string{"-c:a", "libvorbis", "-q:a", "4", "-f", "matroska"}
		if cover != "" {
			// An attachment named by the Matroska cover convention; ffmpeg writes it after
			// the clusters.
			codec = append(codec, "-attach", cover,
				"-metadata:s:t", "mimetype=image/"+spec.Cover,
				"-metadata:s:t", "filename=cover"+filepath.Ext(cover))
		}
	case "aac":
		ext = ".aac"
		codec = []string{"-c:a", "aac", "-b:a", "128k", "-f", "adts"}
	case "oggflac":
		ext = ".oga"
		codec = []string{"-c:a", "flac", "-f", "ogg"}
	default:
		return "", fmt.Errorf("mediatest: unknown format %q", spec.Format)
	}
	if cover != "" && !coverOK {
		return "", fmt.Errorf("mediatest: format %q cannot carry a cover", spec.Format)
	}
	args = append(args, codec...)
	args = append(args, metadata(spec.Tags)...)

	p := filepath.Join(dir, name(spec)+ext)
	args = append(args, p)
	return p, ffmpeg(bin, args...)
}

// metadata returns the -metadata flags of tags.
func metadata(tags track.Tags) []string {
	var args []string
	add := func(k, v string) {
		if v != "" {
			args = append(args, "-metadata", k+"="+v)
		}
	}
	add("title", tags.Title)
	add("artist", tags.Artist)
	add("album", tags.Album)
	if tags.Year != 0 {
		add("date", strconv.Itoa(tags.Year))
	}
	add("genre", tags.Genre)
	// A bare number: "3/12" in a Vorbis TRACKNUMBER makes dhowden/tag read 0.
	if tags.Track != 0 {
		add("track", strconv.Itoa(tags.Track))
	}
	return args
}

// name returns a file name unique to spec within a directory.
func name(s Spec) string {
	h := fmt.Sprintf("%s-%g-%s-%+v", s.Format, s.Seconds, s.Cover, s.Tags)
	var sum uint32 = 2166136261 // FNV-1a keeps names short and stable
	for i := 0; i < len(h); i++ {
		sum = (sum ^ uint32(h[i])) * 16777619
	}
	return fmt.Sprintf("%s-%08x", s.Format, sum)
}

// flacPicture returns the base64 FLAC PICTURE block (RFC 9639 §8.8) that Vorbis comments carry
// as METADATA_BLOCK_PICTURE: big-endian type 3 (front cover), MIME type, description, width,
// height, depth, colours, then the data, each string and the data preceded by its length.
func flacPicture(kind string, data []byte) (string, error) {
	mime := map[string]string{"jpeg": "image/jpeg", "png": "image/png"}[kind]
	if mime == "" {
		return "", fmt.Errorf("mediatest: unknown cover kind %q", kind)
	}
	var b bytes.Buffer
	u32 := func(v int) { _ = binary.Write(&b, binary.BigEndian, uint32(v)) }
	u32(3)
	u32(len(mime))
	b.WriteString(mime)
	desc := "Cover (front)"
	u32(len(desc))
	b.WriteString(desc)
	u32(500)
	u32(500)
	u32(24)
	u32(0)
	u32(len(data))
	b.Write(data)
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// HostileNames names the files of the hostile corpus; see Hostile.
var HostileNames = []string{"hls-playlist", "concat", "text", "truncated-mp3", "id3-random", "random"}

// Hostile writes the hostile file called name into dir, saved with an .mp3 extension as an
// uploader would claim it, and returns its path. listener is a host:port that a test listens on:
// the playlist and concat files name URLs on it, so a test can see whether anything fetched them.
// Names:
//   - "hls-playlist": an #EXTM3U playlist naming http://listener/seg.ts and file:///etc/passwd;
//   - "concat": an "ffconcat version 1.0" script naming http://listener/x.mp3 and /etc/passwd;
//   - "text": a few lines of plain text;
//   - "truncated-mp3": the first 40% of a generated 4-second MP3, cut inside a frame;
//   - "id3-random": a valid ID3v2.3 header declaring a 32 KiB tag, then 64 KiB of random bytes;
//   - "random": 64 KiB of random bytes.
//
// The random bytes come from a fixed seed, so the corpus is the same in every run.
func Hostile(t testing.TB, dir, name, listener string) string {
	t.Helper()
	var mp3 string
	if name == "truncated-mp3" {
		mp3 = Generate(t, dir, Spec{Format: "mp3", Seconds: 4})
	}
	return once(t, hostileKey{dir, name, listener}, func() (string, error) {
		var data []byte
		switch name {
		case "hls-playlist":
			data = []byte("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n" +
				"#EXTINF:10.0,\nhttp://" + listener + "/seg.ts\n" +
				"#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")
		case "concat":
			data = []byte("ffconcat version 1.0\nfile 'http://" + listener + "/x.mp3'\nfile '/etc/passwd'\n")
		case "text":
			data = []byte("This is not a song.\nIt is a text file with an .mp3 name.\n")
		case "truncated-mp3":
			b, err := os.ReadFile(mp3)
			if err != nil {
				return "", err
			}
			n := len(b) * 2 / 5
			// Step off a frame boundary so the cut always splits a frame.
			for n > 0 && b[n] == 0xFF && b[n+1]&0xE0 == 0xE0 {
				n++
			}
			data = b[:n]
		case "id3-random":
			const tagSize = 32 << 10
			data = []byte{'I', 'D', '3', 3, 0, 0,
				tagSize >> 21 & 0x7F, tagSize >> 14 & 0x7F, tagSize >> 7 & 0x7F, tagSize & 0x7F}
			data = append(data, random(64<<10, 1)...)
		case "random":
			data = random(64<<10, 2)
		default:
			return "", fmt.Errorf("mediatest: unknown hostile file %q", name)
		}
		p := filepath.Join(dir, "hostile-"+name+".mp3")
		return p, os.WriteFile(p, data, 0o644)
	})
}

// random returns n bytes from a generator seeded with seed.
func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x50756e64))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
