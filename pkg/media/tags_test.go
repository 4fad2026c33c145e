package media_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"runtime"
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
		// dhowden/tag reads neither RIFF INFO nor Matroska tags; AIFF-C and ADTS here have no
		// ID3 tag.
		{"wav", "", track.Tags{}},
		{"rf64", "", track.Tags{}},
		{"webm", "", track.Tags{}},
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

// id3 returns an ID3v2.3 tag holding frames (each made by frame) followed by an MPEG frame
// header, so that it sniffs as MP3.
func id3(frames ...[]byte) []byte {
	body := bytes.Join(frames, nil)
	n := len(body)
	b := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	b = append(b, body...)
	return append(b, 0xFF, 0xFB, 0x90, 0x00)
}

// frame returns an ID3v2.3 frame.
func frame(id string, data []byte) []byte {
	b := []byte(id)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, 0, 0)
	return append(b, data...)
}

// text returns a UTF-8 (encoding 3) text frame: ID3v2.3 does not define it, but taggers write
// it, so a reader must cope with whatever bytes come in it.
func text(id, s string) []byte { return frame(id, append([]byte{3}, s...)) }

// apic returns a front-cover APIC frame claiming mime for data.
func apic(mime string, data []byte) []byte {
	b := append([]byte{0}, mime...)
	b = append(b, 0, 3)
	b = append(b, "cover"...)
	b = append(b, 0)
	return frame("APIC", append(b, data...))
}

func encoded(t *testing.T, enc func(io.Writer, image.Image) error, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webp returns the header of a lossless WebP image of w×h: enough for its size to be read.
func webp(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f")
	b = binary.LittleEndian.AppendUint32(b, uint32(w-1)|uint32(h-1)<<14)
	return append(b, make([]byte, 16)...)
}

// TestReadTagsPicture: the picture's type comes from its bytes, and what cannot be checked is left out.
func TestReadTagsPicture(t *testing.T) {
	jpg := encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }, 30, 20)
	pngData := encoded(t, png.Encode, 31, 21)
	gifData := encoded(t, func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) }, 32, 22)
	bigPNG := append(bytes.Clone(pngData), make([]byte, media.MaxPictureSize)...)
	hugeJPEG := bytes.Clone(jpg)
	// Make the JPEG declare 60000x60000 in its SOF0 segment: a decompression bomb for a browser.
	if i := bytes.Index(hugeJPEG, []byte{0xFF, 0xC0}); i > 0 {
		binary.BigEndian.PutUint16(hugeJPEG[i+5:], 60000)
		binary.BigEndian.PutUint16(hugeJPEG[i+7:], 60000)
	} else {
		t.Fatal("no SOF0 in the test JPEG")
	}
	tests := []struct {
		name, mime string
		data       []byte
		wantMIME   string
		wantExt    string
		w, h       int
	}{
		{"jpeg", "image/jpeg", jpg, "image/jpeg", "jpg", 30, 20},
		{"png claiming jpeg", "image/jpeg", pngData, "image/png", "png", 31, 21},
		{"gif claiming png", "image/png", gifData, "image/gif", "gif", 32, 22},
		{"webp", "image/webp", webp(640, 480), "image/webp", "webp", 640, 480},
		{"html claiming jpeg", "image/jpeg", []byte("<html><script>alert(1)</script></html>"), "", "", 0, 0},
		{"svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "", "", 0, 0},
		{"truncated png", "image/png", pngData[:12], "", "", 0, 0},
		{"over 10 MiB", "image/png", bigPNG, "", "", 0, 0},
		{"60000x60000 jpeg", "image/jpeg", hugeJPEG, "", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := id3(text("TIT2", "Song"), apic(tt.mime, tt.data))
			tags, pic, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "mp3"})
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags.Title != "Song" {
				t.Errorf("title = %q", tags.Title)
			}
			if tt.wantMIME == "" {
				if pic != nil {
					t.Fatalf("picture = %s %dx%d, want none", pic.MIMEType, pic.Width, pic.Height)
				}
				return
			}
			if pic == nil {
				t.Fatal("no picture")
			}
			if pic.MIMEType != tt.wantMIME || pic.Ext != tt.wantExt || pic.Width != tt.w || pic.Height != tt.h ||
				!bytes.Equal(pic.Data, tt.data) {
				t.Fatalf("picture = %s .%s %dx%d, want %s .%s %dx%d", pic.MIMEType, pic.Ext, pic.Width, pic.Height,
					tt.wantMIME, tt.wantExt, tt.w, tt.h)
			}
		})
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

// flacPictureBlock returns the contents of a FLAC PICTURE block of picture type typ whose data
// length field says dataLen.
func flacPictureBlock(typ int, mime string, data []byte, dataLen uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(typ))
	b = binary.BigEndian.AppendUint32(b, uint32(len(mime)))
	b = append(b, mime...)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, make([]byte, 16)...)
	b = binary.BigEndian.AppendUint32(b, dataLen)
	return append(b, data...)
}

// vorbisComment returns a Vorbis comment structure holding comments.
func vorbisComment(comments ...string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 4)
	b = append(b, "test"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(comments)))
	for _, c := range comments {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

// flacStream returns a FLAC stream of the given metadata blocks (type, contents), the last
// flagged as such.
func flacStream(blocks ...any) []byte {
	b := []byte("fLaC")
	for i := 0; i < len(blocks); i += 2 {
		typ, data := byte(blocks[i].(int)), blocks[i+1].([]byte)
		if i == len(blocks)-2 {
			typ |= 0x80
		}
		b = append(b, typ, byte(len(data)>>16), byte(len(data)>>8), byte(len(data)))
		b = append(b, data...)
	}
	return b
}

// oggStream returns an Ogg stream of one logical stream holding packets, one page each (without
// valid checksums, which ReadTags does not need).
func oggStream(packets ...[]byte) []byte {
	var b []byte
	for i, p := range packets {
		var lacing []byte
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
		h := []byte("OggS\x00")
		flags := byte(0)
		if i == 0 {
			flags = 2
		}
		h = append(h, flags)
		h = append(h, make([]byte, 8)...) // granule position
		h = binary.LittleEndian.AppendUint32(h, 1)
		h = binary.LittleEndian.AppendUint32(h, uint32(i))
		h = append(h, 0, 0, 0, 0, byte(len(lacing)))
		b = append(append(append(b, h...), lacing...), p...)
	}
	return b
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

// TestReadTagsFrontCover: of several FLAC pictures, the front cover is kept.
func TestReadTagsFrontCover(t *testing.T) {
	jpg := encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }, 30, 20)
	pngData := encoded(t, png.Encode, 31, 21)
	b := flacStream(
		6, flacPictureBlock(4, "image/png", pngData, uint32(len(pngData))), // back cover
		6, flacPictureBlock(3, "image/jpeg", jpg, uint32(len(jpg))), // front cover
		6, flacPictureBlock(0, "image/png", pngData, uint32(len(pngData))), // other
	)
	_, pic, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "flac"})
	if err != nil || pic == nil || pic.MIMEType != "image/jpeg" {
		t.Fatalf("ReadTags picture = %+v, %v; want the JPEG front cover", pic, err)
	}
}

// TestReadTagsUnsynchronised: an ID3v2 tag with unsynchronisation has FF 00 read as FF.
func TestReadTagsUnsynchronised(t *testing.T) {
	// TIT2 in ISO-8859-1: "ÿ" is FF, written FF 00 under unsynchronisation.
	body := []byte("TIT2\x00\x00\x00\x03\x00\x00\x00\xff\x00\xff\x00")
	body = append(body, "TPE1\x00\x00\x00\x02\x00\x00\x00A"...)
	b := []byte{'I', 'D', '3', 3, 0, 0x80, 0, 0, 0, byte(len(body))}
	b = append(b, body...)
	tags, _, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "mp3"})
	if err != nil || tags.Title != "ÿÿ" || tags.Artist != "A" {
		t.Fatalf("ReadTags = %+v, %v; want title ÿÿ, artist A", tags, err)
	}
}
