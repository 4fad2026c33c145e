// Package theme derives a page's colours from a track's cover art, as Soundtime did: a background
// taken from the cover's dominant colour, a foreground that reads on it (WCAG AAA, 7:1) and an
// accent from the cover's most vivid colour that reads on the background as text must (WCAG AA,
// 4.5:1): links and the waveform's progress use it.
//
// The cover came out of an uploaded file: its header is checked before any pixel is decoded, so
// a picture claiming to be 100000×100000 costs a few bytes of reading, not gigabytes.
package theme

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // covers in tags are JPEG or PNG, sometimes GIF
	_ "image/jpeg"
	_ "image/png"
	"math"
)

// Theme is three colours as #rrggbb.
type Theme struct {
	Background string
	Foreground string
	Accent     string
}

// MaxPixels bounds the pictures FromImage decodes: 25 megapixels is 100 MB as RGBA at worst
// (JPEG decodes to YCbCr, 1.5 to 3 bytes a pixel). Covers are rarely above 3000×3000.
const MaxPixels = 25_000_000

// ErrTooLarge is returned for a picture above MaxPixels.
var ErrTooLarge = errors.New("theme: picture too large")

// Contrast targets.
const (
	textContrast   = 7.0 // foreground on background: WCAG AAA for body text
	accentContrast = 4.5 // accent on background: WCAG AA for text (links are drawn in it)
)

// FromImage decodes a JPEG, PNG or GIF and derives its theme.
func FromImage(data []byte) (Theme, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Theme{}, fmt.Errorf("theme: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Theme{}, fmt.Errorf("%w: %d×%d", ErrTooLarge, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Theme{}, fmt.Errorf("theme: %w", err)
	}
	return From(img), nil
}

// samples is how many pixels a side From looks at: 96×96 is plenty for a palette.
const samples = 96

type bucket struct {
	n       int
	r, g, b float64
}

func (b bucket) mean() rgb { return rgb{b.r / float64(b.n), b.g / float64(b.n), b.b / float64(b.n)} }

// From derives the theme of img.
func From(img image.Image) Theme {
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	// 4 bits a channel: 4096 buckets, enough to tell colours apart, few enough to count.
	var buckets [4096]bucket
	for sy := 0; sy < min(h, samples); sy++ {
		y := bounds.Min.Y + sy*h/min(h, samples)
		for sx := 0; sx < min(w, samples); sx++ {
			x := bounds.Min.X + sx*w/min(w, samples)
			r, g, b, a := img.At(x, y).RGBA()
			if a < 0x8000 {
				continue // transparent pixels are not part of the picture
			}
			// Un-premultiply to 0..1.
			c := rgb{float64(r) / float64(a), float64(g) / float64(a), float64(b) / float64(a)}
			k := int(c.r*15.999)<<8 | int(c.g*15.999)<<4 | int(c.b*15.999)
			buckets[k].n++
			buckets[k].r += c.r
			buckets[k].g += c.g
			buckets[k].b += c.b
		}
	}
	// The dominant colour: the fullest bucket. The vivid one: count weighted by how colourful the
	// bucket is, so a small saturated area beats a large grey one.
	dominant, vivid := -1, -1
	var bestVivid float64
	for k, bk := range buckets {
		if bk.n == 0 {
			continue
		}
		if dominant < 0 || bk.n > buckets[dominant].n {
			dominant = k
		}
		_, s, l := bk.mean().hsl()
		score := float64(bk.n) * s * s * (1 - math.Abs(2*l-1))
		if score > bestVivid {
			vivid, bestVivid = k, score
		}
	}
	if dominant < 0 {
		return neutral
	}
	bg := background(buckets[dominant].mean())
	fg := foreground(bg)
	accent := fg
	if vivid >= 0 {
		accent = accentOn(buckets[vivid].mean(), bg, fg)
	}
	return Theme{Background: bg.hex(), Foreground: fg.hex(), Accent: accent.hex()}
}

// neutral is the theme of a picture with nothing opaque in it.
var neutral = Theme{Background: "#1c1c1f", Foreground: "#f4f4f5", Accent: "#8ab4f8"}

// background tones the dominant colour down to something a page can sit on: dark unless the
// cover is light, never fully saturated, then moved away from mid-grey until the foreground
// reaches textContrast.
func background(c rgb) rgb {
	hue, s, l := c.hsl()
	s = min(s, 0.55)
	if l >= 0.6 {
		l = max(l, 0.86)
	} else {
		l = min(max(l, 0.10), 0.24)
	}
	bg := fromHSL(hue, s, l)
	fg := foreground(bg)
	for i := 0; i < 50 && contrast(fg, bg) < textContrast; i++ {
		if fg.luminance() > bg.luminance() {
			l = max(l-0.02, 0)
		} else {
			l = min(l+0.02, 1)
		}
		bg = fromHSL(hue, s, l)
	}
	return bg
}

var (
	white = rgb{0.98, 0.98, 0.98}
	black = rgb{0.07, 0.07, 0.08}
)

// foreground is near-white or near-black, whichever reads better on bg.
func foreground(bg rgb) rgb {
	if contrast(white, bg) >= contrast(black, bg) {
		return white
	}
	return black
}

// accentOn returns c, brightened or darkened toward fg until it reaches accentContrast on bg.
func accentOn(c, bg, fg rgb) rgb {
	hue, s, l := c.hsl()
	s = max(s, 0.45)
	a := fromHSL(hue, s, l)
	for i := 0; i < 60 && contrast(a, bg) < accentContrast; i++ {
		if fg.luminance() > bg.luminance() {
			l = min(l+0.02, 1)
		} else {
			l = max(l-0.02, 0)
		}
		a = fromHSL(hue, s, l)
	}
	if contrast(a, bg) < accentContrast {
		return fg
	}
	return a
}

// rgb is a colour with channels in 0..1 (sRGB).
type rgb struct{ r, g, b float64 }

func (c rgb) hex() string {
	ch := func(v float64) int { return int(math.Round(min(max(v, 0), 1) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", ch(c.r), ch(c.g), ch(c.b))
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio, 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func (c rgb) hsl() (h, s, l float64) {
	hi, lo := max(c.r, c.g, c.b), min(c.r, c.g, c.b)
	l = (hi + lo) / 2
	if hi == lo {
		return 0, 0, l
	}
	d := hi - lo
	s = d / (1 - math.Abs(2*l-1))
	switch hi {
	case c.r:
		h = math.Mod((c.g-c.b)/d+6, 6)
	case c.g:
		h = (c.b-c.r)/d + 2
	default:
		h = (c.r-c.g)/d + 4
	}
	return h * 60, min(s, 1), l
}

func fromHSL(h, s, l float64) rgb {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	return rgb{r + m, g + m, b + m}
}
