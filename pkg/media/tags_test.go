package media_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// readTags sniffs the file at path and reads its tags.
func readTags(t *testing.T, path string) (media.Format, track.Tags, *media.Picture, error) {
	t.Helper()
	f, err := media.Sniff(head(t, path))
	if err != nil {
		t.Fatalf("Sniff: %v", err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tags, pic, err := media.ReadTags(file, f)
	return f, tags, pic, err
}

func TestReadTagsGenerated(t *testing.T) {
	dir := mediatest.Dir(t)
	mime := map[string]string{"jpeg": "image/jpeg", "png": "image/png"}
	ext := map[string]string{"jpeg": "jpg", "png": "png"}
	tests := []struct {
		format, cover string
		want          track.Tags
	}{
		{"mp3", "jpeg", mediatest.Tags},
		{"mp3", "png", mediatest.Tags},
		{"mp3", "", mediatest.Tags},
		{"flac", "png", mediatest.Tags},
		{"flac", "jpeg", mediatest.Tags},
		{"m4a", "jpeg", mediatest.Tags},
		{"m4a", "png", mediatest.Tags},
		{"ogg", "png", mediatest.Tags},
		{"ogg", "", mediatest.Tags},
		{"opus", "jpeg", mediatest.Tags},
		{"aiff", "jpeg", mediatest.Tags},
		{"aiff", "", mediatest.Tags},
		{"oggflac", "", mediatest.Tags},
		// RIFF INFO and Matroska tags are read by this package, not by dhowden/tag.
		{"wav", "", mediatest.Tags},
		{"rf64", "", mediatest.Tags},
		{"webm", "", mediatest.Tags},
		{"mka", "", mediatest.Tags},
		{"mka", "jpeg", mediatest.Tags},
		{"mka", "png", mediatest.Tags},
		// AIFF-C and ADTS here have no ID3 tag.
		{"aifc", "", track.Tags{}},
		{"aac", "", track.Tags{}},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.cover, func(t *testing.T) {
			spec := mediatest.Spec{Format: tt.format, Cover: tt.cover}
			if tt.want != (track.Tags{}) {
				spec.Tags = tt.want
			}
			path := mediatest.Generate(t, dir, spec)
			_, tags, pic, err := readTags(t, path)
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags != tt.want {
				t.Errorf("tags = %+v, want %+v", tags, tt.want)
			}
			if tt.cover == "" {
				if pic != nil {
					t.Errorf("picture = %s %dx%d, want none", pic.MIMEType, pic.Width, pic.Height)
				}
				return
			}
			_, want := mediatest.Cover(t, dir, tt.cover)
			switch {
			case pic == nil:
				t.Fatal("no picture")
			case !bytes.Equal(pic.Data, want):
				t.Errorf("picture data differs from the cover given to ffmpeg (%d bytes, want %d)", len(pic.Data), len(want))
			case pic.MIMEType != mime[tt.cover] || pic.Ext != ext[tt.cover]:
				t.Errorf("picture type %s .%s, want %s .%s", pic.MIMEType, pic.Ext, mime[tt.cover], ext[tt.cover])
			case pic.Width != 500 || pic.Height != 500:
				t.Errorf("picture %dx%d, want 500x500", pic.Width, pic.Height)
			}
		})
	}
}

// TestReadTagsRewinds: the reader may be anywhere when ReadTags is called.
func TestReadTagsRewinds(t *testing.T) {
	path := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Tags: mediatest.Tags})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := media.Sniff(b)
	r := bytes.NewReader(b)
	r.Seek(1000, io.SeekStart)
	tags, _, err := media.ReadTags(r, f)
	if err != nil || tags != mediatest.Tags {
		t.Fatalf("ReadTags = %+v, %v; want %+v", tags, err, mediatest.Tags)
	}
}

// TestReadTagsHostile: hostile files give empty tags or an error, never a panic.
func TestReadTagsHostile(t *testing.T) {
	dir := mediatest.Dir(t)
	for _, name := range mediatest.HostileNames {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(mediatest.Hostile(t, dir, name, "127.0.0.1:9"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range formats() {
				tags, pic, err := media.ReadTags(bytes.NewReader(b), f)
				if err == nil {
					checkTags(t, tags, pic)
				}
			}
		})
	}
}

// formats returns one Format of each name Sniff gives.
func formats() []media.Format {
	var fs []media.Format
	for _, name := range []string{"mp3", "flac", "ogg", "opus", "wav", "aiff", "mp4", "webm", "aac"} {
		fs = append(fs, media.Format{Name: name})
	}
	return fs
}

// checkTags checks the promises ReadTags makes about what it returns.
func checkTags(t *testing.T, tags track.Tags, pic *media.Picture) {
	t.Helper()
	for _, s := range []string{tags.Title, tags.Artist, tags.Album, tags.Genre} {
		if !utf8.ValidString(s) || len(s) > media.MaxTagLen || strings.TrimSpace(s) != s || strings.ContainsRune(s, 0) {
			t.Errorf("tag %q breaks the contract", s)
		}
	}
	if tags.Year < 0 || tags.Year > 9999 || tags.Track < 0 || tags.Track > 9999 {
		t.Errorf("year %d, track %d out of range", tags.Year, tags.Track)
	}
	if pic != nil {
		if len(pic.Data) > media.MaxPictureSize || pic.Width <= 0 || pic.Height <= 0 ||
			pic.Width > media.MaxPictureSide || pic.Height > media.MaxPictureSide ||
			!strings.HasPrefix(pic.MIMEType, "image/") || pic.Ext == "" {
			t.Errorf("picture %s .%s %dx%d, %d bytes breaks the contract", pic.MIMEType, pic.Ext, pic.Width, pic.Height, len(pic.Data))
		}
	}
}

// TestReadTagsText: text fields are cleaned and capped.
func TestReadTagsText(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		name, in, want string
	}{
		{"trimmed", "  \t Title \x00\x00", "Title"},
		{"NULs inside", "A\x00B", "AB"},
		{"control characters", "Line\none\rtwo\x1b[31m", "Line one two [31m"},
		{"invalid UTF-8", "bad \xff\xfe bytes", "bad \uFFFD bytes"},
		{"capped on a rune", long, strings.Repeat("é", 128)},
		{"capped then trimmed", strings.Repeat("a", 255) + " b", strings.Repeat("a", 255)},
		// Invisible and text-direction characters are dropped: "song\u202e3pm.exe" would show
		// as "songexe.mp3".
		{"right-to-left override", "song\u202e3pm.exe", "song3pm.exe"},
		{"every bidirectional control", "a\u200eb\u200fc\u202ad\u202be\u202cf\u202dg\u202eh\u2066i\u2067j\u2068k\u2069l", "abcdefghijkl"},
		{"zero-width space and BOM", "\ufeffzero\u200bwidth", "zerowidth"},
		{"only invisible characters", "\u202e\u200b", ""},
		{"right-to-left text and a joiner kept", "שיר 👩\u200d🎤", "שיר 👩\u200d🎤"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := id3(text("TIT2", tt.in), text("TPE1", tt.in), text("TALB", tt.in), text("TCON", tt.in),
				text("TYER", "2024"), text("TRCK", "7/9"))
			tags, _, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "mp3"})
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags.Title != tt.want || tags.Artist != tt.want || tags.Album != tt.want || tags.Genre != tt.want {
				t.Errorf("title %q, artist %q, album %q, genre %q; want %q", tags.Title, tags.Artist, tags.Album, tags.Genre, tt.want)
			}
			if tags.Year != 2024 || tags.Track != 7 {
				t.Errorf("year %d, track %d; want 2024, 7", tags.Year, tags.Track)
			}
		})
	}
}

func TestReadTagsNumbers(t *testing.T) {
	tests := []struct {
		year, track  string
		wantY, wantT int
	}{
		{"2024", "3", 2024, 3},
		{"2024-05-06", "3/12", 2024, 3},
		{"-5", "-1", 0, 0},
		{"123456", "99999", 0, 0},
		{"soon", "one", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.year+" "+tt.track, func(t *testing.T) {
			b := id3(text("TYER", tt.year), text("TRCK", tt.track))
			tags, _, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "mp3"})
			if err != nil || tags.Year != tt.wantY || tags.Track != tt.wantT {
				t.Fatalf("ReadTags = %+v, %v; want year %d, track %d", tags, err, tt.wantY, tt.wantT)
			}
		})
	}
}

// TestReadTagsNone: a file without tags gives empty tags and no error.
func TestReadTagsNone(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		f    string
	}{
		{"bare mp3 frames", bytes.Repeat(append([]byte{0xFF, 0xFB, 0x90, 0x00}, make([]byte, 413)...), 4), "mp3"},
		{"aiff without ID3 chunk", []byte("FORM\x00\x00\x00\x16AIFFCOMM\x00\x00\x00\x02\x00\x01SSND\x00\x00\x00\x00"), "aiff"},
		{"aiff with a truncated chunk", []byte("FORM\x00\x00\x00\x16AIFFCOMM\xff\xff\xff\xff"), "aiff"},
		{"aiff with an ID3 chunk shorter than an ID3 header", []byte("FORM\x00\x00\x00\x1eAIFFID3 \x00\x00\x00\x04ID3\x03SSND\x00\x00\x00\x00"), "aiff"},
		{"not even aiff", []byte("FORM"), "aiff"},
		{"empty", nil, "mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, pic, err := media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: tt.f})
			if err != nil && tt.name != "empty" {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags != (track.Tags{}) || pic != nil {
				t.Fatalf("ReadTags = %+v, %v; want nothing", tags, pic)
			}
		})
	}
}

// TestReadTagsGarbageAfterID3 reads the ID3 header followed by random bytes as every format.
func TestReadTagsGarbageAfterID3(t *testing.T) {
	b, err := os.ReadFile(mediatest.Hostile(t, mediatest.Dir(t), "id3-random", "127.0.0.1:9"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range formats() {
		tags, pic, err := media.ReadTags(bytes.NewReader(b), f)
		if err == nil {
			checkTags(t, tags, pic)
		}
	}
}

// panicky panics on Read, as dhowden/tag might on input it does not expect.
type panicky struct{ io.ReadSeeker }

func (panicky) Read([]byte) (int, error) { panic("boom") }

func TestReadTagsPanic(t *testing.T) {
	tags, pic, err := media.ReadTags(panicky{bytes.NewReader(nil)}, media.Format{Name: "mp3"})
	if err == nil || !strings.HasPrefix(err.Error(), "media: read tags: ") || tags != (track.Tags{}) || pic != nil {
		t.Fatalf("ReadTags = %+v, %v, %v; want an error and nothing else", tags, pic, err)
	}
}

// errSeek fails every Seek.
type errSeek struct{ io.ReadSeeker }

func (errSeek) Seek(int64, int) (int64, error) { return 0, errors.New("no seeking") }

func TestReadTagsSeekError(t *testing.T) {
	if _, _, err := media.ReadTags(errSeek{bytes.NewReader(nil)}, media.Format{Name: "mp3"}); err == nil {
		t.Fatal("ReadTags with a failing Seek returned no error")
	}
}

// FuzzReadTags feeds ReadTags mutations of every generated file. Without -fuzz, go test runs it
// on the seeds alone.
func FuzzReadTags(f *testing.F) {
	dir := mediatest.Dir(f)
	for _, s := range []mediatest.Spec{
		{Format: "mp3", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.5},
		{Format: "flac", Tags: mediatest.Tags, Cover: "png", Seconds: 0.5},
		{Format: "m4a", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.5},
		{Format: "ogg", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.5},
		{Format: "opus", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.5},
		{Format: "aiff", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.5},
		{Format: "wav", Tags: mediatest.Tags, Seconds: 0.5},
		{Format: "webm", Tags: mediatest.Tags, Seconds: 0.5},
	} {
		b, err := os.ReadFile(mediatest.Generate(f, dir, s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, name := range mediatest.HostileNames {
		b, err := os.ReadFile(mediatest.Hostile(f, dir, name, "127.0.0.1:9"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := []media.Format{{Name: "aiff"}, {Name: "ogg"}, {Name: "mp3"}}
		if sniffed, err := media.Sniff(b); err == nil {
			fs = append(fs, sniffed)
		}
		for _, f := range fs {
			tags, pic, err := media.ReadTags(bytes.NewReader(b), f)
			if err == nil {
				checkTags(t, tags, pic)
			}
		}
	})
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadTagsLyingLengths: lengths in the file that promise more than it holds cost neither
// memory nor time. dhowden/tag alone allocates what a picture's length field says (4 GiB here),
// names duplicate ID3v2 frames in quadratic time and recurses into nested MP4 atoms.
func TestReadTagsLyingLengths(t *testing.T) {
	jpg := encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }, 30, 20)
	lyingPicture := flacPictureBlock(3, "image/jpeg", jpg, 0xFFFFFFF0)
	ogg := func(comments ...string) []byte {
		return oggStream([]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00"),
			append([]byte("\x03vorbis"), vorbisComment(comments...)...))
	}
	b64 := base64.StdEncoding.EncodeToString
	nested := []byte("\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00M4A ")
	nested = append(nested, bytes.Repeat([]byte("\x7f\xff\xff\xffmoov"), 1<<20)...)
	var frames [][]byte
	for range 20000 {
		frames = append(frames, text("TIT2", "x"))
	}
	tests := []struct {
		name    string
		data    []byte
		title   string // read despite the lie
		wantErr error
	}{
		{"flac picture block of 4 GiB", flacStream(4, vorbisComment("TITLE=Kept"), 6, lyingPicture), "Kept", nil},
		{"flac comment picture of 4 GiB", flacStream(4, vorbisComment("TITLE=Kept", "METADATA_BLOCK_PICTURE="+b64(lyingPicture))), "Kept", nil},
		{"ogg comment picture of 4 GiB", ogg("TITLE=Kept", "metadata_block_picture="+b64(lyingPicture)), "Kept", nil},
		{"ogg comment picture, key in other case", ogg("TITLE=Kept", "METADATA_BLOCK_P\u0130CTURE="+b64(lyingPicture)), "Kept", nil},
		{"flac comment count of 4 G", flacStream(4, []byte("\x00\x00\x00\x00\xff\xff\xff\xff\x0a\x00\x00\x00TITLE=Kept")), "Kept", nil},
		{"flac comment of 4 GiB", flacStream(4, []byte("\x00\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xffTITLE=x")), "", nil},
		{"20000 ID3v2 frames of one name", id3(frames...), "", media.ErrMetadataTooLarge},
		{"MP4 atoms nested a million deep", nested, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			var tags track.Tags
			var pic *media.Picture
			var err error
			n := allocated(func() {
				tags, pic, err = media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: "mp3"})
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadTags error = %v, want %v", err, tt.wantErr)
			}
			if tags.Title != tt.title || pic != nil {
				t.Errorf("ReadTags = %+v, %v; want title %q and no picture", tags, pic, tt.title)
			}
			if n > 64<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(tt.data))
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// benchFile is a file the tag benchmarks read: 2 seconds made by ffmpeg with mediatest.Tags and
// no cover, held in memory.
type benchFile struct {
	name   string
	data   []byte
	format media.Format
}

// benchFiles returns an MP3 (ID3v2), a FLAC (Vorbis comment), a WAV (RIFF INFO) and a WebM
// (Matroska tags), in that order.
func benchFiles(b *testing.B) []benchFile {
	dir := mediatest.Dir(b)
	var files []benchFile
	for _, name := range []string{"mp3", "flac", "wav", "webm"} {
		data, err := os.ReadFile(mediatest.Generate(b, dir, mediatest.Spec{Format: name, Tags: mediatest.Tags}))
		if err != nil {
			b.Fatal(err)
		}
		f, err := media.Sniff(data)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, benchFile{name, data, f})
	}
	return files
}

// BenchmarkReadTags reads the tags of each of benchFiles from memory.
func BenchmarkReadTags(b *testing.B) {
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			r := bytes.NewReader(f.data)
			for b.Loop() {
				if tags, _, err := media.ReadTags(r, f.format); err != nil || tags != mediatest.Tags {
					b.Fatalf("ReadTags = %+v, %v", tags, err)
				}
			}
		})
	}
}

// BenchmarkReadTagsRatio times the readers of benchFiles in turn, a batch of each per round,
// and reports the median over rounds of the WAV and WebM readers' time over the MP3 and FLAC
// readers': on a shared machine, load that comes and goes then falls on all four alike.
// docs/benchmarks.md has the figures.
func BenchmarkReadTagsRatio(b *testing.B) {
	files := benchFiles(b)
	const batch = 100
	var rounds [][]time.Duration
	for b.Loop() {
		round := make([]time.Duration, len(files))
		for i, f := range files {
			r := bytes.NewReader(f.data)
			start := time.Now()
			for range batch {
				if _, _, err := media.ReadTags(r, f.format); err != nil {
					b.Fatal(err)
				}
			}
			round[i] = time.Since(start)
		}
		rounds = append(rounds, round)
	}
	ratio := func(x, y int) float64 {
		r := make([]float64, len(rounds))
		for i, round := range rounds {
			r[i] = float64(round[x]) / float64(round[y])
		}
		slices.Sort(r)
		return r[len(r)/2]
	}
	b.ReportMetric(ratio(2, 0), "wav/mp3")
	b.ReportMetric(ratio(2, 1), "wav/flac")
	b.ReportMetric(ratio(3, 0), "webm/mp3")
	b.ReportMetric(ratio(3, 1), "webm/flac")
}
