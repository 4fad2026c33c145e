package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/dhowden/tag"
)

// maxID3Reads caps the reads dhowden/tag makes of an ID3v2 tag. Each frame costs it at least
// three, so this bounds the frames, and the quadratic time it spends naming frames that share a
// name; real files have a few dozen.
const maxID3Reads = 3 * 1024

// readID3 reads the ID3v2 tag at off, of at most limit bytes, into memory and parses it there.
// A limit shorter than the tag's header (an AIFF or WAV chunk too short to hold one) is no tag.
// Unsynchronisation is undone first, so that every read dhowden/tag makes is one it counts
// against maxID3Reads.
func readID3(r io.ReadSeeker, off, limit int64) (tag.Metadata, error) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	var h [10]byte
	if _, err := io.ReadFull(r, h[:]); err != nil || string(h[:3]) != "ID3" || limit < 10 {
		return nil, tag.ErrNoTagsFound
	}
	size := int64(h[6]&0x7F)<<21 | int64(h[7]&0x7F)<<14 | int64(h[8]&0x7F)<<7 | int64(h[9]&0x7F)
	size = min(10+size+10, limit) // header, tag, v2.4 footer
	if size > MaxMetadataSize {
		return nil, ErrMetadataTooLarge
	}
	b := make([]byte, size)
	copy(b, h[:])
	n, err := io.ReadFull(r, b[10:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	b = b[:10+n]
	if b[5]&0x80 != 0 { // the whole tag is unsynchronised: FF 00 stands for FF
		start := 10
		if b[5]&0x40 != 0 && len(b) >= 14 { // skip the extended header, which dhowden reads as is
			switch b[3] {
			case 3:
				start += 4 + int(binary.BigEndian.Uint32(b[10:]))
			case 4:
				start += int(b[10]&0x7F)<<21 | int(b[11]&0x7F)<<14 | int(b[12]&0x7F)<<7 | int(b[13]&0x7F)
			}
			start = min(max(start, 10), len(b))
		}
		b[5] &^= 0x80
		out := b[:start]
		ff := false
		for _, c := range b[start:] {
			if ff && c == 0 {
				ff = false
				continue
			}
			out = append(out, c)
			ff = c == 0xFF
		}
		b = out
	}
	return tag.ReadID3v2Tags(&capped{r: bytes.NewReader(b), bytes: MaxMetadataSize, reads: maxID3Reads})
}

// readID3v1 reads the ID3v1 tag of a file with no other metadata it recognises: the last 128
// bytes, if anything. A file without one gives tag.ErrNotID3v1, which ReadTags takes for no tags.
func readID3v1(r io.ReadSeeker) (tag.Metadata, error) {
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end < 128 {
		return nil, err
	}
	return tag.ReadID3v1Tags(r)
}
