package media_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
)

const rate = 44100

// sine returns n samples of a 440 Hz sine of amplitude amp as s16le PCM.
func sine(n int, amp float64) []byte {
	b := make([]byte, 2*n)
	for i := range n {
		s := int16(math.Round(amp * math.Sin(2*math.Pi*440*float64(i)/rate)))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// noise returns n samples of seeded random PCM.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// write feeds pcm to pk in chunks of the sizes next returns.
func write(t testing.TB, pk *media.Peaks, pcm []byte, next func() int) {
	t.Helper()
	for len(pcm) > 0 {
		n := min(next(), len(pcm))
		if m, err := pk.Write(pcm[:n]); m != n || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
		}
		pcm = pcm[n:]
	}
}

// checkShape checks what every Waveform must satisfy for samples samples.
func checkShape(t *testing.T, w media.Waveform, samples int64) {
	t.Helper()
	if w.Version != 2 || w.Channels != 1 || w.Bits != 8 || w.SampleRate != rate {
		t.Errorf("header = %+v", w)
	}
	if len(w.Data) != w.Length*2*w.Channels {
		t.Errorf("len(Data) = %d, want Length*2 = %d", len(w.Data), w.Length*2)
	}
	if w.Length > media.MaxPoints {
		t.Errorf("Length = %d > MaxPoints", w.Length)
	}
	// The pixels cover exactly the samples: all but the last are full.
	if n := int64(w.Length) * int64(w.SamplesPerPixel); samples > n || samples <= n-int64(w.SamplesPerPixel) {
		t.Errorf("Length %d × %d samples per pixel does not cover %d samples", w.Length, w.SamplesPerPixel, samples)
	}
	for i := 0; i < len(w.Data); i += 2 {
		if w.Data[i] > w.Data[i+1] {
			t.Fatalf("pixel %d: min %d > max %d", i/2, w.Data[i], w.Data[i+1])
		}
	}
}

func TestPeaksSine(t *testing.T) {
	for _, amp := range []float64{32767, 20000, 5000, 256} {
		pk := media.NewPeaks(rate)
		pcm := sine(10*rate, amp)
		write(t, pk, pcm, func() int { return 4096 })
		w := pk.Waveform()
		checkShape(t, w, 10*rate)
		want := int8(int(amp) >> 8)
		// A pixel spans several periods, so its peaks are the amplitude's, give or take the
		// rounding of the sample nearest the crest. The last pixel may be short: skip it.
		for i := 0; i < len(w.Data)-2; i += 2 {
			lo, hi := w.Data[i], w.Data[i+1]
			if hi < want-1 || hi > want || lo > -want || lo < -want-1 {
				t.Fatalf("amplitude %v: pixel %d = [%d, %d], want about ±%d", amp, i/2, lo, hi, want)
			}
		}
	}
}

func TestPeaksFullScale(t *testing.T) {
	pk := media.NewPeaks(rate)
	pcm := []byte{0x00, 0x80, 0xFF, 0x7F} // -32768, 32767
	write(t, pk, slices.Repeat(pcm, 100), func() int { return 4 })
	w := pk.Waveform()
	if w.Data[0] != -128 || w.Data[1] != 127 {
		t.Fatalf("full scale = [%d, %d], want [-128, 127]", w.Data[0], w.Data[1])
	}
}

func TestPeaksSilence(t *testing.T) {
	pk := media.NewPeaks(rate)
	write(t, pk, make([]byte, 2*30*rate), func() int { return 65536 })
	w := pk.Waveform()
	checkShape(t, w, 30*rate)
	for i, v := range w.Data {
		if v != 0 {
			t.Fatalf("Data[%d] = %d, want 0", i, v)
		}
	}
}

func TestPeaksEmpty(t *testing.T) {
	w := media.NewPeaks(rate).Waveform()
	if w.Length != 0 || w.Data == nil || len(w.Data) != 0 {
		t.Fatalf("empty Waveform = %+v, want length 0 and non-nil empty data", w)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":2,"channels":1,"sample_rate":44100,"samples_per_pixel":64,"bits":8,"length":0,"data":[]}`
	if string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
}

// TestPeaksChunking: the same PCM gives the same waveform however it is cut into writes,
// including cuts inside a sample.
func TestPeaksChunking(t *testing.T) {
	pcm := append(sine(3*rate, 12000), noise(rate/2, 1)...)
	r := rand.New(rand.NewPCG(7, 7))
	chunkings := []struct {
		name string
		next func() int
	}{
		{"one write", func() int { return len(pcm) }},
		{"1 byte", func() int { return 1 }},
		{"3 bytes", func() int { return 3 }},
		{"odd 4095", func() int { return 4095 }},
		{"random 1..9000", func() int { return 1 + r.IntN(9000) }},
	}
	var want media.Waveform
	for i, c := range chunkings {
		pk := media.NewPeaks(rate)
		write(t, pk, pcm, c.next)
		got := pk.Waveform()
		if pk.Samples() != int64(len(pcm)/2) {
			t.Errorf("%s: Samples = %d, want %d", c.name, pk.Samples(), len(pcm)/2)
		}
		if i == 0 {
			want = got
			checkShape(t, want, int64(len(pcm)/2))
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: waveform differs from a single write", c.name)
		}
	}
}

// TestPeaksLength: the pixel count stays within bounds whatever the duration, and Samples counts
// every sample.
func TestPeaksLength(t *testing.T) {
	buf := append(sine(rate, 16000), noise(rate, 2)...) // 2 s, fed again and again
	tests := []struct {
		name     string
		seconds  int
		min, max int
	}{
		{"0.5 s", 0, 0, media.MinPoints}, // shorter than MinPoints pixels of 64 samples
		{"1 s", 1, 0, media.MinPoints},
		{"2 s", 2, media.MinPoints, media.MaxPoints},
		{"1 min", 60, media.MinPoints, media.MaxPoints},
		{"60 min", 3600, media.MinPoints, media.MaxPoints},
		{"5 h", 5 * 3600, media.MinPoints, media.MaxPoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			samples := int64(tt.seconds) * rate
			if tt.seconds == 0 {
				samples = rate / 2
			}
			pk := media.NewPeaks(rate)
			for left := 2 * samples; left > 0; {
				n := min(left, int64(len(buf)))
				pk.Write(buf[:n])
				left -= n
			}
			if pk.Samples() != samples {
				t.Fatalf("Samples = %d, want %d", pk.Samples(), samples)
			}
			w := pk.Waveform()
			checkShape(t, w, samples)
			if w.Length < tt.min || w.Length > tt.max {
				t.Fatalf("Length = %d (%d samples per pixel), want %d..%d", w.Length, w.SamplesPerPixel, tt.min, tt.max)
			}
		})
	}
}

// TestPeaksWaveformMidway: Waveform can be called while writing without changing the result.
func TestPeaksWaveformMidway(t *testing.T) {
	pcm := sine(20*rate, 9000)
	a, b := media.NewPeaks(rate), media.NewPeaks(rate)
	write(t, a, pcm, func() int { return len(pcm) })
	write(t, b, pcm, func() int { b.Waveform(); return 10001 })
	if !reflect.DeepEqual(a.Waveform(), b.Waveform()) {
		t.Fatal("calling Waveform while writing changed the result")
	}
}

// TestWaveformJSON: the field names are audiowaveform's, and data is an array of numbers.
func TestWaveformJSON(t *testing.T) {
	pk := media.NewPeaks(48000)
	pk.Write(sine(rate, 20000))
	b, err := json.Marshal(pk.Waveform())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"bits", "channels", "data", "length", "sample_rate", "samples_per_pixel", "version"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	if m["version"] != 2.0 || m["channels"] != 1.0 || m["bits"] != 8.0 || m["sample_rate"] != 48000.0 {
		t.Fatalf("header = %s", b[:min(len(b), 120)])
	}
	data, ok := m["data"].([]any)
	if !ok || float64(len(data)) != 2*m["length"].(float64) {
		t.Fatalf("data is %T of length %d, want an array of 2×length numbers", m["data"], len(data))
	}
	for _, v := range data {
		if f, ok := v.(float64); !ok || f < -128 || f > 127 || f != math.Trunc(f) {
			t.Fatalf("data holds %v, want 8-bit integers", v)
		}
	}
}

func BenchmarkPeaksWrite(b *testing.B) {
	buf := append(sine(rate, 16000), noise(rate, 3)...)
	chunk := 32 << 10 // about what a pipe read returns
	b.SetBytes(int64(chunk))
	b.ReportAllocs()
	pk := media.NewPeaks(rate)
	off := 0
	for b.Loop() {
		if off+chunk > len(buf) {
			off = 0
		}
		pk.Write(buf[off : off+chunk])
		off += chunk
	}
}
