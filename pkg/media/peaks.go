package media

// Waveform is the audiowaveform JSON format, version 2, that the player draws: Length pixels,
// each a (min, max) pair of 8-bit samples, so len(Data) == Length*2*Channels.
type Waveform struct {
	Version         int    `json:"version"`
	Channels        int    `json:"channels"`
	SampleRate      int    `json:"sample_rate"`
	SamplesPerPixel int    `json:"samples_per_pixel"`
	Bits            int    `json:"bits"`
	Length          int    `json:"length"`
	Data            []int8 `json:"data"`
}

// Bounds on the number of pixels of a Waveform.
const (
	// MinPoints is the fewest pixels a Waveform of a long enough track has. A track shorter than
	// MinPoints*firstSamplesPerPixel samples (about 1.45 s at 44.1 kHz) has one pixel per
	// firstSamplesPerPixel samples, so fewer.
	MinPoints = 1000
	// MaxPoints is the most pixels a Waveform has.
	MaxPoints = 2000
)

// firstSamplesPerPixel is where the resolution starts; it doubles as the track goes on.
const firstSamplesPerPixel = 64

// Peaks folds signed 16-bit little-endian mono PCM into waveform peaks as it streams by, in
// memory bounded whatever the length: at most 2*MaxPoints pixels are held, and each time they
// fill up, adjacent pairs are merged and the samples per pixel double. The zero value is not
// usable; call NewPeaks. A Peaks is not safe for concurrent use.
type Peaks struct {
	sampleRate int
	spp        int     // samples per pixel
	pixels     []int16 // min, max, min, max, … of the finished pixels
	min, max   int16   // of the pixel being filled
	n          int     // samples in the pixel being filled
	samples    int64
	odd        bool // a byte of a sample split across writes is waiting in low
	low        byte
}

// NewPeaks returns a Peaks for PCM at sampleRate samples per second.
func NewPeaks(sampleRate int) *Peaks {
	return &Peaks{
		sampleRate: sampleRate,
		spp:        firstSamplesPerPixel,
		pixels:     make([]int16, 0, 2*2*MaxPoints),
	}
}

// Write folds the samples in p into the peaks. p may end, or begin, in the middle of a sample.
// It never fails.
func (pk *Peaks) Write(p []byte) (int, error) {
	n := len(p)
	if pk.odd && len(p) > 0 {
		pk.add(int16(uint16(pk.low) | uint16(p[0])<<8))
		pk.odd = false
		p = p[1:]
	}
	for len(p) >= 2 {
		// Fill the current pixel straight from p without a call per sample.
		room := pk.spp - pk.n
		k := len(p) / 2
		if k > room {
			k = room
		}
		lo, hi := pk.min, pk.max
		if pk.n == 0 {
			lo, hi = 32767, -32768
		}
		for i := 0; i < 2*k; i += 2 {
			s := int16(uint16(p[i]) | uint16(p[i+1])<<8)
			if s < lo {
				lo = s
			}
			if s > hi {
				hi = s
			}
		}
		pk.min, pk.max = lo, hi
		pk.n += k
		pk.samples += int64(k)
		p = p[2*k:]
		if pk.n == pk.spp {
			pk.flush()
		}
	}
	if len(p) == 1 {
		pk.low, pk.odd = p[0], true
	}
	return n, nil
}

// add folds one sample.
func (pk *Peaks) add(s int16) {
	if pk.n == 0 || s < pk.min {
		pk.min = s
	}
	if pk.n == 0 || s > pk.max {
		pk.max = s
	}
	pk.n++
	pk.samples++
	if pk.n == pk.spp {
		pk.flush()
	}
}

// flush ends the current pixel, halving the resolution when the pixels fill up.
func (pk *Peaks) flush() {
	pk.pixels = append(pk.pixels, pk.min, pk.max)
	pk.n = 0
	if len(pk.pixels) == 2*2*MaxPoints {
		pk.pixels = merge(pk.pixels)
		pk.spp *= 2
	}
}

// merge folds adjacent pixels of px in place into one (min of mins, max of maxes); an odd last
// pixel stays as it is.
func merge(px []int16) []int16 {
	out := px[:0]
	for i := 0; i < len(px); i += 4 {
		lo, hi := px[i], px[i+1]
		if i+3 < len(px) {
			lo, hi = min(lo, px[i+2]), max(hi, px[i+3])
		}
		out = append(out, lo, hi)
	}
	return out
}

// Samples returns how many samples have been written.
func (pk *Peaks) Samples() int64 { return pk.samples }

// Waveform returns the peaks of the samples written so far, with at most MaxPoints pixels (and,
// for a track long enough, at least MinPoints). A last, partly filled pixel is included; a half
// sample left by an odd-length write is not. It does not change pk: writing may go on.
func (pk *Peaks) Waveform() Waveform {
	px := make([]int16, len(pk.pixels), len(pk.pixels)+2)
	copy(px, pk.pixels)
	if pk.n > 0 {
		px = append(px, pk.min, pk.max)
	}
	spp := pk.spp
	for len(px) > 2*MaxPoints {
		px = merge(px)
		spp *= 2
	}
	data := make([]int8, len(px))
	for i, s := range px {
		data[i] = int8(s >> 8)
	}
	return Waveform{
		Version:         2,
		Channels:        1,
		SampleRate:      pk.sampleRate,
		SamplesPerPixel: spp,
		Bits:            8,
		Length:          len(px) / 2,
		Data:            data,
	}
}
