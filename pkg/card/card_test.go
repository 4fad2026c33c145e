package card_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/soundtime/soundtime/pkg/card"
	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/track"
)

var testTheme = track.Theme{Background: "#102030", Foreground: "#f0f0e0", Accent: "#ff8000"}

// decode checks that b is a PNG of exactly the declared size and returns it.
func decode(t testing.TB, b []byte) image.Image {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if cfg.Width != card.Width || cfg.Height != card.Height {
		t.Fatalf("PNG header says %d×%d, want %d×%d", cfg.Width, cfg.Height, card.Width, card.Height)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if r := img.Bounds(); r.Dx() != card.Width || r.Dy() != card.Height {
		t.Fatalf("decoded %v, want %d×%d", r, card.Width, card.Height)
	}
	return img
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// colours counts the pixels of each colour of img.
func colours(img image.Image) map[color.RGBA]int {
	n := map[color.RGBA]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n[rgba(img.At(x, y))]++
		}
	}
	return n
}

// sineWaveform is the waveform of a tone that swells from silence to full scale.
func sineWaveform(pixels int) []int8 {
	d := make([]int8, 2*pixels)
	for i := range pixels {
		a := 127 * math.Sin(math.Pi*float64(i)/float64(pixels))
		d[2*i], d[2*i+1] = int8(-a), int8(a)
	}
	return d
}

func TestDrawUsesTheThemeColoursAndOnlyThem(t *testing.T) {
	b, err := card.Draw(sineWaveform(1500), 1, testTheme)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	bg := color.RGBA{0x10, 0x20, 0x30, 0xff}
	fg := color.RGBA{0xf0, 0xf0, 0xe0, 0xff}
	accent := color.RGBA{0xff, 0x80, 0x00, 0xff}
	n := colours(img)
	if len(n) != 3 {
		t.Fatalf("colours %v, want exactly background, foreground and accent", n)
	}
	for name, c := range map[string]color.RGBA{"background": bg, "foreground": fg, "accent": accent} {
		if n[c] == 0 {
			t.Errorf("no pixel in the %s colour %v: %v", name, c, n)
		}
	}
	// The corners are background; the loudest bar, in the middle of the swell, is accent and
	// nearly full height; the middle line shows in the foreground at the quiet start.
	for _, p := range []image.Point{{0, 0}, {card.Width - 1, card.Height - 1}} {
		if got := rgba(img.At(p.X, p.Y)); got != bg {
			t.Errorf("corner %v is %v, want the background %v", p, got, bg)
		}
	}
	if got := rgba(img.At(card.Width/2+1, card.Height/2-190)); got != accent {
		t.Errorf("the loudest bar does not reach near the top: %v", got)
	}
	if got := rgba(img.At(card.Width-70, card.Height/2)); got != bg {
		t.Errorf("the right margin is %v, want the background", got)
	}
}

func TestDrawScalesTheLoudestPeakToFullHeight(t *testing.T) {
	quiet := make([]int8, 2*1000)
	for i := range 1000 {
		quiet[2*i], quiet[2*i+1] = -3, 3
	}
	b, err := card.Draw(quiet, 1, testTheme)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	if got := rgba(img.At(card.Width/2+1, card.Height/2-199)); got != (color.RGBA{0xff, 0x80, 0x00, 0xff}) {
		t.Errorf("a quiet track's bars do not reach full height: %v", got)
	}
}

// Whatever the stored peaks say, the card is a PNG of the declared size in the theme's colours.
func TestDrawHostilePeaks(t *testing.T) {
	cases := map[string]struct {
		data     []int8
		channels int
	}{
		"empty":                {nil, 1},
		"one value":            {[]int8{5}, 1},
		"odd length":           {[]int8{-128, 127, -128}, 1},
		"one pixel":            {[]int8{-128, 127}, 1},
		"zero channels":        {sineWaveform(100), 0},
		"negative channels":    {sineWaveform(100), -5},
		"huge channel count":   {sineWaveform(100), math.MaxInt},
		"channels not fitting": {sineWaveform(101), 2},
		"two channels":         {sineWaveform(1000), 2},
		"min above max":        {[]int8{127, -128, 127, -128}, 1},
		"all -128":             {bytes2int8(bytes.Repeat([]byte{0x80}, 4000)), 1},
		"a million pixels":     {sineWaveform(1_000_000), 1},
		"silence":              {make([]int8, 4000), 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := card.Draw(c.data, c.channels, testTheme)
			if err != nil {
				t.Fatal(err)
			}
			if n := colours(decode(t, b)); len(n) < 2 || len(n) > 3 {
				t.Fatalf("colours %v", n)
			}
		})
	}
}

func bytes2int8(b []byte) []int8 {
	out := make([]int8, len(b))
	for i, v := range b {
		out[i] = int8(v)
	}
	return out
}

func TestDrawRefusesColoursThatAreNotHex(t *testing.T) {
	for _, bad := range []string{"", "red", "#fff", "#12345g", "#+12345", "#1234567", "1020304"} {
		th := testTheme
		th.Accent = bad
		if _, err := card.Draw(sineWaveform(10), 1, th); err == nil {
			t.Errorf("accent %q accepted", bad)
		}
	}
}

func TestDefaultThemeDraws(t *testing.T) {
	b, err := card.Draw(nil, 1, card.Default)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b)
}

func FuzzDraw(f *testing.F) {
	f.Add([]byte{0x80, 0x7f, 0, 1}, 1)
	f.Add([]byte{}, 0)
	f.Add([]byte{1, 2, 3}, 3)
	f.Fuzz(func(t *testing.T, data []byte, channels int) {
		b, err := card.Draw(bytes2int8(data), channels, testTheme)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != card.Width || cfg.Height != card.Height {
			t.Fatalf("%v %v", cfg, err)
		}
	})
}

// BenchmarkDraw draws the card of a full-length waveform (media.MaxPoints pixels) and encodes
// it; BenchmarkPeaksFourMinutes folds the PCM of a four-minute track into its peaks, the
// baseline: what processing already does for every track. `go test -run '^$' -bench . ./pkg/card/`
func BenchmarkDraw(b *testing.B) {
	w := sineWaveform(media.MaxPoints)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := card.Draw(w, 1, testTheme); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPeaksFourMinutes(b *testing.B) {
	const rate = 44100
	pcm := make([]byte, 2*rate) // one second of a 440 Hz tone, written 240 times
	for i := range rate {
		s := int16(16000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		pcm[2*i], pcm[2*i+1] = byte(s), byte(uint16(s)>>8)
	}
	b.ReportAllocs()
	for b.Loop() {
		pk := media.NewPeaks(rate)
		for range 240 {
			for off := 0; off < len(pcm); off += 32 << 10 {
				pk.Write(pcm[off:min(off+32<<10, len(pcm))])
			}
		}
		_ = pk.Waveform()
	}
}
