package media

import (
	"encoding/binary"
	"io"

	"github.com/dhowden/tag"
)

// readAIFF reads the ID3v2 tag of an AIFF or AIFF-C file, which dhowden/tag does not: the tag
// is in a chunk of its own.
func readAIFF(r io.ReadSeeker) (tag.Metadata, error) {
	off, size, err := aiffID3(r)
	if err != nil || size == 0 {
		return nil, err
	}
	return readID3(r, off, size)
}

// aiffID3 walks the chunks of an AIFF or AIFF-C file for its "ID3 " chunk and returns where its
// data starts and how long it is, or a size of 0 if there is none.
func aiffID3(r io.ReadSeeker) (off, size int64, err error) {
	sc := newScanner(r)
	if err := sc.skip(12); err != nil {
		return 0, 0, nil
	}
	for range maxBlocks { // a real file has a handful of chunks
		var ch [8]byte
		if err := sc.read(ch[:]); err != nil {
			return 0, 0, nil // the end, or a truncated chunk header: no ID3 chunk
		}
		size := int64(binary.BigEndian.Uint32(ch[4:]))
		if id := string(ch[:4]); id == "ID3 " || id == "id3 " {
			return sc.off, size, nil
		}
		if err := sc.skip(size + size&1); err != nil { // chunks are padded to an even length
			return 0, 0, nil
		}
	}
	return 0, 0, nil
}
