// Package card draws the picture of a link preview (og:image, oEmbed's thumbnail) for a track
// without cover art: its waveform on the page's colours, as a PNG made with the standard
// library alone.
//
// The peaks come from storage and are treated as hostile: whatever their length, channel count
// or values, drawing takes one pass over them, allocates the same picture, and never panics.
package card

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	"github.com/soundtime/soundtime/pkg/track"
)

// Width and Height are the size of every card: 1200×630 (1.91:1) is what Facebook, LinkedIn,
// Mastodon and X show large without cropping, so one picture fits them all.
const (
	Width  = 1200
	Height = 630
)

// Layout of the waveform: bars of barWidth pixels every barPitch, inside a margin, mirrored
// around the middle line and at most maxHalf pixels either side of it.
const (
	margin   = 72
	barWidth = 4
	barPitch = 6
	bars     = (Width - 2*margin + barPitch - barWidth) / barPitch
	maxHalf  = 200
	minHalf  = 2 // a silent stretch still shows as a line
	lineHalf = 1 // the middle line, in the foreground colour
)

// maxChannels bounds the channel counts taken at their word; audiowaveform writes 1 or 2.
const maxChannels = 8

// Default is the web app's own colours in its dark scheme (spa/src/styles/app.css): a track
// without cover art has no theme of its own, and its page shows these.
var Default = track.Theme{Background: "#141312", Foreground: "#efedea", Accent: "#ff9a62"}

// Draw returns the PNG of the card of peaks: audiowaveform data, a (min, max) pair of 8-bit
// samples per pixel and channel, channels interleaved. Only the first channel is drawn; a
// channel count that does not divide the data is read as one channel. The loudest peak reaches
// the full height, so a quiet track still shows its shape. Empty peaks draw the middle line
// only. It fails only for colours that are not #rrggbb.
func Draw(peaks []int8, channels int, th track.Theme) ([]byte, error) {
	bg, err := parseHex(th.Background)
	if err != nil {
		return nil, err
	}
	fg, err := parseHex(th.Foreground)
	if err != nil {
		return nil, err
	}
	accent, err := parseHex(th.Accent)
	if err != nil {
		return nil, err
	}
	stride := 2
	if channels > 1 && channels <= maxChannels && len(peaks)%(2*channels) == 0 {
		stride = 2 * channels
	}
	heights := barHeights(peaks, stride)

	// A paletted picture of three colours: 2 bits a pixel, which PNG stores small and fast.
	img := image.NewPaletted(image.Rect(0, 0, Width, Height), color.Palette{bg, fg, accent})
	mid := Height / 2
	fill(img, margin, mid-lineHalf, Width-margin, mid+lineHalf, 1)
	for i, h := range heights {
		x := margin + i*barPitch
		fill(img, x, mid-h, x+barWidth, mid+h, 2)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("card: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// barHeights folds the pixels of the first channel into bars: each bar is the loudest pixel of
// its share of the track, scaled so that the loudest of all reaches maxHalf.
func barHeights(peaks []int8, stride int) []int {
	n := len(peaks) / stride
	if n == 0 {
		return nil
	}
	amp := make([]int, bars)
	loudest := 0
	for i := range n {
		lo, hi := int(peaks[i*stride]), int(peaks[i*stride+1])
		a := max(abs(lo), abs(hi))
		b := i * bars / n // the bar pixel i falls in
		amp[b] = max(amp[b], a)
		loudest = max(loudest, a)
	}
	// A track with fewer pixels than bars leaves bars between them empty: each takes the pixel
	// it falls in, so the shape is stretched rather than dotted.
	if n < bars {
		for b := range amp {
			i := b * n / bars
			amp[b] = max(abs(int(peaks[i*stride])), abs(int(peaks[i*stride+1])))
		}
	}
	for b, a := range amp {
		h := minHalf
		if loudest > 0 {
			h = max(minHalf, a*maxHalf/loudest)
		}
		amp[b] = h
	}
	return amp
}

// fill paints the rectangle [x0,x1)×[y0,y1) with palette index c.
func fill(img *image.Paletted, x0, y0, x1, y1 int, c uint8) {
	for y := y0; y < y1; y++ {
		row := img.Pix[y*img.Stride+x0 : y*img.Stride+x1]
		for i := range row {
			row[i] = c
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// parseHex reads a #rrggbb colour.
func parseHex(s string) (color.RGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, fmt.Errorf("card: colour %q is not #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("card: colour %q is not #rrggbb", s)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}, nil
}
