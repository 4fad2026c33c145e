package track

import (
	"fmt"
	"io"
)

// Alphabet is the base62 alphabet of track IDs.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// IDLength is the length of newly allocated IDs. Eight base62 characters make a guess against a
// million live tracks succeed about once in 218 million tries (docs/design.md, "Short IDs").
const IDLength = 8

// MinIDLength and MaxIDLength bound the IDs accepted on lookup: older Soundtime links have six
// characters, and nothing longer than 32 is ever an ID.
const (
	MinIDLength = 6
	MaxIDLength = 32
)

// maxUnbiased is the largest multiple of len(Alphabet) that fits in a byte: bytes at or above it
// are dropped, so every character is equally likely (rejection sampling, no modulo bias).
const maxUnbiased = 256 - 256%len(Alphabet) // 248

// NewID reads random bytes from r (crypto/rand.Reader in production) and returns an IDLength
// character ID drawn uniformly from Alphabet. It fails only when r fails.
func NewID(r io.Reader) (string, error) {
	out := make([]byte, 0, IDLength)
	var buf [IDLength * 2]byte
	for len(out) < IDLength {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("track: read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= maxUnbiased {
				continue
			}
			out = append(out, Alphabet[int(b)%len(Alphabet)])
			if len(out) == IDLength {
				break
			}
		}
	}
	return string(out), nil
}

// ValidID reports whether s can be a track ID: MinIDLength to MaxIDLength characters of Alphabet.
func ValidID(s string) bool {
	if len(s) < MinIDLength || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
