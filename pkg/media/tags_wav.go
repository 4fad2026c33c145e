package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/dhowden/tag"

	"github.com/soundtime/soundtime/pkg/track"
)

// maxInfoSize bounds the LIST/INFO chunk read into memory: it holds a few short strings, and
// taggers that write more (a long comment) stay far below it.
const maxInfoSize = 1 << 20

// readWAV reads the tags of a RIFF, RF64 or BW64 WAVE file: the first LIST/INFO chunk, raw, and
// the first "id3 " or "ID3 " chunk, parsed by readID3 (so it may bring a cover). The caller
// prefers the ID3 fields and falls back on INFO field by field. An ID3 chunk that cannot be
// parsed is passed over when INFO has tags, since they are then all the file has; it is the error
// only when there is nothing else. A file that is not WAVE, or stops short, gives what was read
// before the cut.
func readWAV(r io.ReadSeeker) (tag.Metadata, track.Tags, error) {
	info, off, size, err := wavChunks(r)
	if err != nil || size == 0 {
		return nil, info, err
	}
	m, err := readID3(r, off, size)
	if err != nil && info != (track.Tags{}) && !errors.Is(err, ErrMetadataTooLarge) {
		return nil, info, nil
	}
	return m, info, err
}

// wavChunks walks the chunks of a WAVE file and returns the fields of its first LIST/INFO chunk
// and where the data of its first ID3 chunk starts and how long it is (a size of 0: none). In
// RF64 and BW64 files the sizes of the RIFF and data chunks are 0xFFFFFFFF and the real data
// size is in the ds64 chunk that comes first.
func wavChunks(r io.ReadSeeker) (info track.Tags, id3Off, id3Size int64, err error) {
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return track.Tags{}, 0, 0, err
	}
	sc := newScanner(r)
	var h [12]byte
	if err := sc.read(h[:]); err != nil || string(h[8:]) != "WAVE" {
		return track.Tags{}, 0, 0, nil
	}
	riff := string(h[:4])
	if riff != "RIFF" && riff != "RF64" && riff != "BW64" {
		return track.Tags{}, 0, 0, nil
	}
	var dataSize int64 = -1 // from ds64
	gotInfo := false
	for range maxBlocks { // a real file has a handful of chunks
		var ch [8]byte
		if err := sc.read(ch[:]); err != nil {
			break // the end, or a truncated chunk header
		}
		id, size := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		pad := size & 1 // chunks are padded to an even length
		switch {
		case id == "ds64" && riff != "RIFF" && size >= 16:
			var ds [16]byte
			if err := sc.read(ds[:]); err != nil {
				return info, id3Off, id3Size, nil
			}
			if n := int64(binary.LittleEndian.Uint64(ds[8:])); n >= 0 {
				dataSize = n
			}
			size -= 16
		case id == "data" && size == 0xFFFFFFFF && dataSize >= 0:
			size, pad = dataSize, dataSize&1
		case (id == "id3 " || id == "ID3 ") && id3Size == 0:
			id3Off, id3Size = sc.off, max(min(size, end-sc.off), 0)
		case id == "LIST" && !gotInfo && size >= 4:
			n := min(size, end-sc.off)
			if n > maxInfoSize {
				break // skipped like any other chunk
			}
			b := make([]byte, n)
			if err := sc.read(b); err != nil {
				return info, id3Off, id3Size, nil
			}
			if bytes.HasPrefix(b, []byte("INFO")) {
				info, gotInfo = riffInfo(b[4:]), true
			}
			size -= n
		}
		if gotInfo && id3Size > 0 {
			break
		}
		if err := sc.skip(size + pad); err != nil {
			break
		}
	}
	return info, id3Off, id3Size, nil
}

// riffInfo reads the subchunks of a LIST/INFO chunk: each an ID, a little-endian length and a
// NUL-terminated string, padded to an even length. A subchunk cut short ends the list. Strings
// are Latin-1 or UTF-8, whatever the writer's system used: see text.
func riffInfo(b []byte) track.Tags {
	var t track.Tags
	for len(b) >= 8 {
		id, n := string(b[:4]), int64(binary.LittleEndian.Uint32(b[4:]))
		b = b[8:]
		if n > int64(len(b)) {
			n = int64(len(b)) // the last string cut short: keep what is there
		}
		s := text(b[:n])
		b = b[min(n+n&1, int64(len(b))):]
		set := func(p *string) {
			if *p == "" {
				*p = s
			}
		}
		switch id {
		case "INAM":
			set(&t.Title)
		case "IART":
			set(&t.Artist)
		case "IPRD":
			set(&t.Album)
		case "IGNR":
			set(&t.Genre)
		case "ICRD":
			if t.Year == 0 {
				t.Year = leadingNumber(s)
			}
		case "IPRT", "ITRK":
			if t.Track == 0 {
				t.Track = leadingNumber(s)
			}
		}
	}
	return t
}

// text decodes a string tag of a format that does not say its encoding: it ends at the first
// NUL; valid UTF-8 (ASCII included) is kept, anything else is taken for Latin-1, the other
// encoding such tags are written in. clean still has to run on the result.
func text(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	valid := utf8.Valid(b)
	if len(b) > 4*MaxTagLen {
		b = b[:4*MaxTagLen] // clean keeps MaxTagLen bytes of it
	}
	if valid {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// leadingNumber returns the number at the start of s ("2024" of "2024-05-06", 3 of "3/12"),
// or 0 if s does not start with a digit or the number has more than 4 digits.
func leadingNumber(s string) int {
	n, i := 0, 0
	for ; i < len(s) && i < 5 && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i == 0 || i > 4 {
		return 0
	}
	return n
}
