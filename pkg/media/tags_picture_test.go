package media_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
)

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
