package theme

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"
	"testing"
)

func parseHex(t *testing.T, s string) rgb {
	t.Helper()
	if len(s) != 7 || s[0] != '#' {
		t.Fatalf("%q is not #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return rgb{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkReadable asserts the contrast promises of the package on th.
func checkReadable(t *testing.T, th Theme) {
	t.Helper()
	bg, fg, ac := parseHex(t, th.Background), parseHex(t, th.Foreground), parseHex(t, th.Accent)
	if c := contrast(fg, bg); c < textContrast {
		t.Errorf("%+v: foreground contrast %.2f, want ≥ %.1f", th, c, textContrast)
	}
	if c := contrast(ac, bg); c < accentContrast {
		t.Errorf("%+v: accent contrast %.2f, want ≥ %.1f", th, c, accentContrast)
	}
}

func TestFromColours(t *testing.T) {
	for _, tc := range []struct {
		name      string
		img       image.Image
		hueFrom   float64 // the background keeps the cover's hue (when it has one)
		hueTo     float64
		darkBG    bool
		greyscale bool
	}{
		{name: "red", img: solid(40, 40, color.RGBA{200, 30, 30, 255}), hueFrom: 350, hueTo: 370, darkBG: true},
		{name: "navy", img: solid(40, 40, color.RGBA{20, 30, 120, 255}), hueFrom: 220, hueTo: 250, darkBG: true},
		{name: "pale yellow", img: solid(40, 40, color.RGBA{250, 240, 180, 255}), hueFrom: 40, hueTo: 65},
		{name: "mid grey", img: solid(40, 40, color.RGBA{128, 128, 128, 255}), darkBG: true, greyscale: true},
		{name: "white", img: solid(8, 8, color.White), greyscale: true},
		{name: "black", img: solid(8, 8, color.Black), darkBG: true, greyscale: true},
		{name: "one pixel", img: solid(1, 1, color.RGBA{0, 160, 80, 255}), hueFrom: 130, hueTo: 165, darkBG: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := From(tc.img)
			checkReadable(t, th)
			bg := parseHex(t, th.Background)
			if dark := bg.luminance() < 0.18; dark != tc.darkBG {
				t.Errorf("background %s: dark=%v, want %v", th.Background, dark, tc.darkBG)
			}
			h, s, _ := bg.hsl()
			if tc.greyscale {
				if s > 0.05 {
					t.Errorf("background %s of a grey picture has saturation %.2f", th.Background, s)
				}
				return
			}
			if h < tc.hueFrom {
				h += 360
			}
			if h < tc.hueFrom || h > tc.hueTo {
				t.Errorf("background %s has hue %.0f, want %v..%v", th.Background, h, tc.hueFrom, tc.hueTo)
			}
		})
	}
}

// A small vivid area becomes the accent even when grey dominates.
func TestFromVividAccent(t *testing.T) {
	img := solid(100, 100, color.RGBA{60, 60, 64, 255})
	for y := 0; y < 20; y++ {
		for x := 0; x < 20; x++ {
			img.Set(x, y, color.RGBA{255, 140, 0, 255}) // orange, 4% of the picture
		}
	}
	th := From(img)
	checkReadable(t, th)
	h, s, _ := parseHex(t, th.Accent).hsl()
	if h < 20 || h > 45 || s < 0.5 {
		t.Errorf("accent %s (hue %.0f, saturation %.2f), want the orange", th.Accent, h, s)
	}
	if bh, bs, _ := parseHex(t, th.Background).hsl(); bs > 0.15 {
		t.Errorf("background %s (hue %.0f, saturation %.2f), want the dominant grey", th.Background, bh, bs)
	}
}

func TestFromTransparent(t *testing.T) {
	th := From(image.NewNRGBA(image.Rect(0, 0, 10, 10)))
	if th != neutral {
		t.Errorf("fully transparent picture: %+v, want the neutral theme", th)
	}
	checkReadable(t, th)
}

func TestFromImageFormats(t *testing.T) {
	img := solid(64, 48, color.RGBA{30, 120, 200, 255})
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"png": encodePNG(t, img), "jpeg": jpg.Bytes()} {
		th, err := FromImage(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkReadable(t, th)
		if h, _, _ := parseHex(t, th.Background).hsl(); h < 195 || h > 220 {
			t.Errorf("%s: background %s hue %.0f, want blue", name, th.Background, h)
		}
	}
}

// pngHeader is a PNG signature and an IHDR chunk claiming w×h, and nothing else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestFromImageHostile(t *testing.T) {
	if _, err := FromImage(pngHeader(100000, 100000)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("100000×100000 PNG header: %v, want ErrTooLarge", err)
	}
	if _, err := FromImage(pngHeader(64, 64)); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("PNG without pixel data: %v, want a decode error", err)
	}
	good := encodePNG(t, solid(16, 16, color.RGBA{1, 2, 3, 255}))
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("not a picture"),
		"truncated": good[:len(good)/2],
	} {
		if _, err := FromImage(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHSLRoundTrip(t *testing.T) {
	for _, c := range []rgb{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0.2, 0.4, 0.6}, {0.9, 0.8, 0.12}, {0.5, 0.5, 0.5}} {
		h, s, l := c.hsl()
		got := fromHSL(h, s, l)
		if got.hex() != c.hex() {
			t.Errorf("%v → hsl(%.1f, %.2f, %.2f) → %v", c.hex(), h, s, l, got.hex())
		}
	}
	if c := contrast(rgb{1, 1, 1}, rgb{0, 0, 0}); c < 20.99 || c > 21.01 {
		t.Errorf("white on black: %.3f, want 21", c)
	}
}

func BenchmarkFromImage(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromImage(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
