package media_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
)

// TestMain shares one directory of generated files between all the package's tests.
func TestMain(m *testing.M) { os.Exit(mediatest.Run(m)) }

// head returns the first SniffLen bytes of the file at path, as the pipeline reads them.
func head(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, media.SniffLen))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// derive writes a file made from the file at path by edit, once per name in the shared directory.
func derive(t testing.TB, path, name string, edit func([]byte) []byte) string {
	t.Helper()
	out := filepath.Join(filepath.Dir(path), name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stripID3 removes a leading ID3v2 tag.
func stripID3(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("ID3")) {
		return b
	}
	n := 10 + (int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9]))
	return b[n:]
}

// id3Tag is an ID3v2.3 tag with one TIT2 frame and 100 bytes of padding.
var id3Tag = func() []byte {
	frame := append([]byte("TIT2\x00\x00\x00\x06\x00\x00\x00"), "Title"...)
	size := len(frame) + 100
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(size >> 21 & 0x7F), byte(size >> 14 & 0x7F), byte(size >> 7 & 0x7F), byte(size & 0x7F)}
	tag = append(tag, frame...)
	return append(tag, make([]byte, 100)...)
}()

func prependID3(b []byte) []byte { return append(slices.Clip(id3Tag), b...) }

func TestSniffGenerated(t *testing.T) {
	dir := mediatest.Dir(t)
	gen := func(format, cover string) string {
		return mediatest.Generate(t, dir, mediatest.Spec{Format: format, Tags: mediatest.Tags, Cover: cover})
	}
	tests := []struct {
		name    string
		path    string
		format  string // Format.Name
		demuxer string
	}{
		{"mp3 with ID3v2 and cover", gen("mp3", "jpeg"), "mp3", "mp3"},
		{"mp3 without ID3v2", derive(t, gen("mp3", ""), "bare.mp3", stripID3), "mp3", "mp3"},
		{"flac with picture", gen("flac", "png"), "flac", "flac"},
		{"flac after ID3v2", derive(t, gen("flac", ""), "id3.flac", prependID3), "flac", "flac"},
		{"m4a with covr", gen("m4a", "jpeg"), "mp4", "mov"},
		{"ogg vorbis with picture", gen("ogg", "png"), "ogg", "ogg"},
		{"ogg opus with picture", gen("opus", "jpeg"), "opus", "ogg"},
		{"ogg flac", gen("oggflac", ""), "ogg", "ogg"},
		{"wav", gen("wav", ""), "wav", "wav"},
		{"rf64", gen("rf64", ""), "wav", "wav"},
		{"aiff with ID3 chunk", gen("aiff", "jpeg"), "aiff", "aiff"},
		{"aifc float", gen("aifc", ""), "aiff", "aiff"},
		{"webm opus", gen("webm", ""), "webm", "matroska"},
		{"matroska vorbis", gen("mka", ""), "webm", "matroska"},
		{"aac adts", gen("aac", ""), "aac", "aac"},
		{"aac adts after ID3v2", derive(t, gen("aac", ""), "id3.aac", prependID3), "aac", "aac"},
		{"truncated mp3", mediatest.Hostile(t, dir, "truncated-mp3", "127.0.0.1:9"), "mp3", "mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := media.Sniff(head(t, tt.path))
			if err != nil {
				t.Fatalf("Sniff: %v", err)
			}
			if f.Name != tt.format || f.Demuxer != tt.demuxer || len(f.Decoders) == 0 {
				t.Fatalf("Sniff = %+v, want name %q, demuxer %q", f, tt.format, tt.demuxer)
			}
			// The names must be the pinned ffmpeg's: it decodes the file with nothing else allowed.
			decode(t, tt.path, f)
		})
	}
}

// decode runs ffmpeg on path with the demuxer forced and only f's demuxer and decoders allowed,
// and fails t unless ffmpeg exits 0. The -map picks the audio: a cover is a video stream whose
// decoder is rightly not on the whitelist.
func decode(t *testing.T, path string, f media.Format) {
	t.Helper()
	cmd := exec.Command(mediatest.FFmpeg(t),
		"-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", f.Demuxer,
		"-format_whitelist", f.Demuxer,
		"-codec_whitelist", strings.Join(f.Decoders, ","),
		"-protocol_whitelist", "file",
		"-i", path,
		"-map", "0:a:0",
		"-f", "null", "-")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg decode with %+v: %v\n%s", f, err, out)
	}
}

// mpegFrame is a valid MPEG-1 Layer III header (128 kb/s, 44.1 kHz, no padding): 417-byte frames.
var mpegFrame = []byte{0xFF, 0xFB, 0x90, 0x00}

func TestSniffHostile(t *testing.T) {
	dir := mediatest.Dir(t)
	file := func(name string) []byte { return head(t, mediatest.Hostile(t, dir, name, "127.0.0.1:9")) }
	id3 := func(size int) []byte {
		return []byte{'I', 'D', '3', 3, 0, 0, byte(size >> 21 & 0x7F), byte(size >> 14 & 0x7F), byte(size >> 7 & 0x7F), byte(size & 0x7F)}
	}
	oneFrameThenJunk := append(slices.Clip(mpegFrame), bytes.Repeat([]byte{0x55}, 1000)...)
	tests := []struct {
		name string
		head []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"zero bytes", make([]byte, 4096)},
		{"hls playlist", file("hls-playlist")},
		{"concat script", file("concat")},
		{"text", file("text")},
		{"random", file("random")},
		{"id3 then random", file("id3-random")},
		{"html", []byte("<!DOCTYPE html><html><head><title>x</title></head></html>")},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\xf4\x00\x00\x01\xf4\x08\x02\x00\x00\x00")},
		{"only ID3", []byte("ID3")},
		{"truncated ID3 header", []byte("ID3\x03\x00\x00")},
		{"ID3 header only", id3(0)},
		{"ID3 past the head", append(id3(2<<20), make([]byte, 100)...)},
		{"ID3 with non-syncsafe size", append([]byte("ID3\x03\x00\x00\x80\x00\x00\x00"), mpegFrame...)},
		{"ID3 then zeros", append(id3(10), make([]byte, 100)...)},
		{"ID3 then text", append(id3(0), "#EXTM3U\n"...)},
		{"frame then junk", oneFrameThenJunk},
		{"free-format frame", append([]byte{0xFF, 0xFB, 0x00, 0x00}, make([]byte, 100)...)},
		{"layer II frame", append([]byte{0xFF, 0xFD, 0x90, 0x00}, make([]byte, 100)...)},
		{"reserved sample rate", append([]byte{0xFF, 0xFB, 0x9C, 0x00}, make([]byte, 100)...)},
		{"riff avi", []byte("RIFF\x00\x10\x00\x00AVI LIST")},
		{"rf64 without ds64", []byte("RF64\xff\xff\xff\xffWAVEfmt ")},
		{"form 8svx", []byte("FORM\x00\x10\x00\x008SVXVHDR")},
		{"quicktime", []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ")},
		{"ftyp video brand", []byte("\x00\x00\x00\x14ftypavc1\x00\x00\x02\x00avc1")},
		{"ftyp absurd size", []byte("\xff\x00\x00\x14ftypM4A \x00\x00\x02\x00M4A ")},
		{"ebml other doctype", []byte("\x1a\x45\xdf\xa3\x8b\x42\x82\x88notwebm!")},
		{"ebml truncated", []byte("\x1a\x45\xdf\xa3\x9f\x42\x82")},
		{"ebml no doctype", []byte("\x1a\x45\xdf\xa3\x84\x42\x86\x81\x01")},
		{"ogg theora", append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2a"), "\x80theora"...)},
		{"ogg truncated", []byte("OggS\x00\x02")},
		{"adts bad rate", append([]byte{0xFF, 0xF1, 0x7C, 0x80, 0x20, 0x1F, 0xFC}, make([]byte, 300)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := media.Sniff(tt.head)
			if !errors.Is(err, media.ErrNotAudio) {
				t.Fatalf("Sniff = %+v, %v; want ErrNotAudio", f, err)
			}
		})
	}
}

// TestSniffShortHead: a head too short to hold a second frame is judged on the first alone.
func TestSniffShortHead(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"one mp3 frame header", mpegFrame, "mp3"},
		{"two mp3 frames", append(append(slices.Clip(mpegFrame), make([]byte, 413)...), mpegFrame...), "mp3"},
		{"fLaC", []byte("fLaC"), "flac"},
		{"wav", []byte("RIFF\x24\x00\x00\x00WAVE"), "wav"},
		{"aifc", []byte("FORM\x00\x00\x00\x00AIFC"), "aiff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := media.Sniff(tt.head)
			if err != nil || f.Name != tt.want {
				t.Fatalf("Sniff = %+v, %v; want %q", f, err, tt.want)
			}
		})
	}
}

// TestSniffFormatsIndependent: changing one result's decoders does not change the next.
func TestSniffFormatsIndependent(t *testing.T) {
	a, _ := media.Sniff([]byte("fLaC"))
	a.Decoders[0] = "hls"
	b, _ := media.Sniff([]byte("fLaC"))
	if b.Decoders[0] != "flac" {
		t.Fatalf("decoders shared between calls: %v", b.Decoders)
	}
}
