package track_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/soundtime/soundtime/pkg/track"
)

func TestNewIDShape(t *testing.T) {
	for i := range 1000 {
		id, err := track.NewID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != track.IDLength || track.IDLength != 8 {
			t.Fatalf("NewID = %q: %d characters, want 8", id, len(id))
		}
		if strings.Trim(id, track.Alphabet) != "" {
			t.Fatalf("NewID = %q has characters outside the alphabet", id)
		}
		if !track.ValidID(id) {
			t.Fatalf("NewID #%d = %q is not a ValidID", i, id)
		}
	}
}

func TestAlphabet(t *testing.T) {
	const want = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	if track.Alphabet != want {
		t.Fatalf("Alphabet = %q, want %q", track.Alphabet, want)
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"abcdef", true},   // 6: old Soundtime links
		{"Ab3dEf9Z", true}, // 8: new IDs
		{strings.Repeat("Z", 32), true},
		{"0123456789", true},
		{"abcde", false}, // 5
		{strings.Repeat("a", 33), false},
		{"", false},
		{"abc-def", false},
		{"abc_def", false},
		{"abc.def", false},
		{"abc/def", false},
		{"../etc", false},
		{"abcdé1", false},
		{"ÄÖÜäöü", false},
		{"abcdef\x00", false},
		{"abc def", false},
		{"abcdef\n", false},
		{"日本語日本語", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := track.ValidID(tt.id); got != tt.want {
				t.Fatalf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

// TestNewIDRejectsBiasedBytes feeds every byte value: the 248 values below 256-256%62 map to the
// 62 characters four times each, and the 8 values above are dropped, not folded onto '0'…'7'.
func TestNewIDRejectsBiasedBytes(t *testing.T) {
	counts := map[byte]int{}
	for v := range 256 {
		// Enough of v for one read of NewID, then nothing.
		r := bytes.NewReader(bytes.Repeat([]byte{byte(v)}, 64))
		id, err := track.NewID(r)
		if v >= 248 {
			if err == nil {
				t.Errorf("byte %d: NewID = %q, want the byte dropped (and an error once the reader is dry)", v, id)
			}
			continue
		}
		if err != nil {
			t.Fatalf("byte %d: %v", v, err)
		}
		want := strings.Repeat(string(track.Alphabet[v%62]), 8)
		if id != want {
			t.Fatalf("byte %d: NewID = %q, want %q", v, id, want)
		}
		counts[id[0]]++
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters, want 62", len(counts))
	}
	for c, n := range counts {
		if n != 4 {
			t.Errorf("character %q came from %d byte values, want 4", c, n)
		}
	}
}

func TestNewIDSkipsRejectedBytes(t *testing.T) {
	// First a whole read of rejected bytes, then a mix: 248…255 must vanish and the rest map
	// by value mod 62.
	var in []byte
	for range 2 {
		for v := 248; v < 256; v++ {
			in = append(in, byte(v))
		}
	}
	in = append(in, 255, 10, 250, 61, 0, 62, 123, 247, 36, 249, 185, 5, 1, 2, 3, 4)
	id, err := track.NewID(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// 10→A 61→z 0→0 62→0 123→z 247→z 36→a 185→z
	if want := "Az00zzaz"; id != want {
		t.Fatalf("NewID = %q, want %q", id, want)
	}
}

// TestNewIDUniform counts characters over 200,000 IDs and runs a chi-square test against the
// uniform distribution. The source is a seeded ChaCha8, so the test is deterministic; a modulo
// bias (bytes 248…255 folded onto '0'…'7') would score about 10,000 here.
func TestNewIDUniform(t *testing.T) {
	const ids = 200_000
	src := mrand.NewChaCha8([32]byte{'s', 'o', 'u', 'n', 'd', 't', 'i', 'm', 'e'})
	var counts [256]int
	for range ids {
		id, err := track.NewID(src)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(id); i++ {
			counts[id[i]]++
		}
	}
	expected := float64(ids*track.IDLength) / float64(len(track.Alphabet))
	var chi2 float64
	for i := 0; i < len(track.Alphabet); i++ {
		d := float64(counts[track.Alphabet[i]]) - expected
		chi2 += d * d / expected
	}
	// 61 degrees of freedom: mean 61, p = 0.001 at about 101. 150 is generous.
	if chi2 > 150 {
		t.Fatalf("chi-square = %.1f over %d characters, want < 150 (counts %v)", chi2, ids*track.IDLength, counts)
	}
	t.Logf("chi-square = %.1f (61 degrees of freedom)", chi2)
}

func TestNewIDReaderFails(t *testing.T) {
	boom := errors.New("entropy source gone")
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"error at once", iotest.ErrReader(boom)},
		{"empty", bytes.NewReader(nil)},
		{"short read", bytes.NewReader([]byte{1, 2, 3})},
		{"only rejected bytes", bytes.NewReader(bytes.Repeat([]byte{255}, 48))},
		{"error after some bytes", io.MultiReader(bytes.NewReader([]byte{1, 2, 3, 4}), iotest.ErrReader(boom))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := track.NewID(tt.r)
			if err == nil {
				t.Fatalf("NewID = %q, want an error", id)
			}
			if id != "" {
				t.Errorf("NewID returned %q with its error", id)
			}
		})
	}
	if _, err := track.NewID(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("NewID error %v should wrap the reader's", err)
	}
}
