package media

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dhowden/tag"

	"github.com/soundtime/soundtime/pkg/track"
)

// Limits on what ReadTags reads and keeps.
const (
	// MaxPictureSize is the largest cover kept, in bytes.
	MaxPictureSize = 10 << 20
	// MaxPictureSide is the largest width or height of a cover kept: a small file can declare
	// a huge image and exhaust whoever decodes it.
	MaxPictureSide = 10000
	// MaxTagLen is the most bytes of a text tag kept.
	MaxTagLen = 256
	// MaxMetadataSize is the most bytes of metadata ReadTags reads; larger metadata is an error.
	MaxMetadataSize = 32 << 20
)

// ErrMetadataTooLarge is returned (wrapped) by ReadTags when the tags of a file are larger than
// MaxMetadataSize, or made of more parts (ID3v2 frames) than it reads. The file may still be
// good audio: the caller may go on without its tags.
var ErrMetadataTooLarge = errors.New("media: metadata too large")

// ReadTags reads the tags and cover of an upload that Sniff recognised as f, from the start of
// r. Absent tags are not an error: the result is then empty tags and a nil picture. WAV tags
// come from its LIST/INFO chunk and its ID3 chunk (ID3 wins field by field), WebM and Matroska
// tags from the SimpleTags of the Segment's Tags and its Info Title, their cover from an image
// attachment. A cover that is too large, too wide, or not a JPEG, PNG, GIF or WebP image by its
// own bytes is left out, not an error. Text fields are valid UTF-8 without control characters or
// the invisible characters of track.IsInvisible, trimmed and at most MaxTagLen bytes long.
//
// An error means the tags are there but could not be parsed (a panic in the parser included),
// or are larger than MaxMetadataSize (ErrMetadataTooLarge); the caller may go on without them.
//
// dhowden/tag trusts lengths it reads: a 50-byte FLAC picture block declaring 4 GiB makes it
// allocate 4 GiB (a fatal error, not a panic, where memory is limited), ID3v2 frames sharing a
// name cost quadratic time, and nested MP4 atoms recurse as deep as the file is long. So it
// never sees the upload itself: ReadTags hands it FLAC metadata blocks and Vorbis comments it
// has checked and rebuilt, ID3v2 tags copied into memory behind a cap on reads, and MP4 behind
// caps on bytes and reads.
func ReadTags(r io.ReadSeeker, f Format) (tags track.Tags, pic *Picture, err error) {
	defer func() {
		if p := recover(); p != nil {
			tags, pic, err = track.Tags{}, nil, fmt.Errorf("media: read tags: panic: %v", p)
		}
	}()
	var m tag.Metadata
	var own track.Tags // what the RIFF INFO and Matroska readers found, raw
	switch f.Name {
	case "wav":
		m, own, err = readWAV(r)
	case "webm":
		own, pic, err = readWebM(r)
	default:
		m, err = readMetadata(r)
	}
	if errors.Is(err, tag.ErrNoTagsFound) || errors.Is(err, tag.ErrNotID3v1) {
		err = nil
	}
	if err != nil {
		return track.Tags{}, nil, fmt.Errorf("media: read tags: %w", err)
	}
	if m != nil {
		tags, pic = metadataTags(m)
	}
	// In a WAV with both, the ID3 chunk wins field by field: taggers that write both keep ID3
	// complete (it has more fields) and INFO for older players.
	fill := func(p *string, v string) {
		if *p == "" {
			*p = clean(v)
		}
	}
	fill(&tags.Title, own.Title)
	fill(&tags.Artist, own.Artist)
	fill(&tags.Album, own.Album)
	fill(&tags.Genre, own.Genre)
	if tags.Year == 0 && own.Year > 0 && own.Year <= 9999 {
		tags.Year = own.Year
	}
	if tags.Track == 0 && own.Track > 0 && own.Track <= 9999 {
		tags.Track = own.Track
	}
	return tags, pic, nil
}

// metadataTags returns the cleaned tags and the checked cover of what dhowden/tag read.
func metadataTags(m tag.Metadata) (tags track.Tags, pic *Picture) {
	tags = track.Tags{
		Title:  clean(m.Title()),
		Artist: clean(m.Artist()),
		Album:  clean(m.Album()),
		Genre:  clean(m.Genre()),
	}
	if y := m.Year(); y > 0 && y <= 9999 {
		tags.Year = y
	}
	if n, _ := m.Track(); n > 0 && n <= 9999 {
		tags.Track = n
	}
	if p := m.Picture(); p != nil {
		pic = picture(p.Data)
	}
	return tags, pic
}

// readMetadata finds the metadata of r by its magic bytes, as tag.ReadFrom does, and has the
// reader of that format parse it with dhowden/tag once it is safe to. It returns a nil Metadata,
// and perhaps an error, when there is nothing to read.
func readMetadata(r io.ReadSeeker) (tag.Metadata, error) {
	var magic [12]byte
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	n, _ := io.ReadFull(r, magic[:])
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b := magic[:n]
	switch {
	case bytes.HasPrefix(b, []byte("fLaC")):
		return readFLAC(r)
	case bytes.HasPrefix(b, []byte("OggS")):
		return readOgg(r)
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return readMP4(r)
	case bytes.HasPrefix(b, []byte("ID3")):
		return readID3(r, 0, MaxMetadataSize)
	case len(b) >= 12 && string(b[:4]) == "FORM" && (string(b[8:12]) == "AIFF" || string(b[8:12]) == "AIFC"):
		return readAIFF(r)
	}
	return readID3v1(r)
}

// clean makes a tag value safe to keep and show: valid UTF-8, control characters turned into
// spaces, the invisible and text-direction characters of track.IsInvisible removed, surrounding
// space trimmed, and cut on a character boundary at MaxTagLen bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case track.IsInvisible(r):
			// A title reordered by a bidirectional override must never reach a page.
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > MaxTagLen {
		n := MaxTagLen
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = strings.TrimSpace(s[:n])
	}
	return s
}

// capped passes reads and seeks to r until it has read bytes bytes or made reads reads, then
// fails with ErrMetadataTooLarge. It bounds what dhowden/tag reads where it is handed a reader.
type capped struct {
	r            io.ReadSeeker
	bytes, reads int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.bytes <= 0 || c.reads <= 0 {
		return 0, ErrMetadataTooLarge
	}
	if int64(len(p)) > c.bytes {
		p = p[:c.bytes]
	}
	c.reads--
	n, err := c.r.Read(p)
	c.bytes -= int64(n)
	return n, err
}

func (c *capped) Seek(offset int64, whence int) (int64, error) { return c.r.Seek(offset, whence) }

// maxBlocks bounds the FLAC metadata blocks, Ogg packets and AIFF chunks looked at; real files
// have a few.
const maxBlocks = 1024

// scanner reads a stream through a buffer, skipping by seeking where that is shorter, and
// fails with ErrMetadataTooLarge once it has read MaxMetadataSize bytes. The AIFF, FLAC and Ogg
// readers walk their structures with it.
type scanner struct {
	r    io.ReadSeeker
	br   *bufio.Reader
	off  int64 // of the next byte
	left int64 // of the bytes it may still read
}

func newScanner(r io.ReadSeeker) *scanner {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return &scanner{r: r, br: bufio.NewReader(bytes.NewReader(nil))}
	}
	return &scanner{r: r, br: bufio.NewReader(r), left: MaxMetadataSize}
}

// read fills p, or fails: with io.EOF or io.ErrUnexpectedEOF at the end of the stream.
func (s *scanner) read(p []byte) error {
	if int64(len(p)) > s.left {
		return ErrMetadataTooLarge
	}
	n, err := io.ReadFull(s.br, p)
	s.off += int64(n)
	s.left -= int64(n)
	return err
}

// seek moves to off, backwards too. Past the end of the stream it does not fail, but the next
// read does.
func (s *scanner) seek(off int64) error {
	if off >= s.off {
		return s.skip(off - s.off)
	}
	if _, err := s.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	s.off = off
	s.br.Reset(s.r)
	return nil
}

// skip moves n bytes on. Past the end of the stream it does not fail, but the next read does.
func (s *scanner) skip(n int64) error {
	if n <= int64(s.br.Buffered()) {
		_, err := s.br.Discard(int(n))
		s.off += n
		return err
	}
	s.off += n
	if _, err := s.r.Seek(s.off, io.SeekStart); err != nil {
		return err
	}
	s.br.Reset(s.r)
	return nil
}
