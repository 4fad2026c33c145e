package media

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dhowden/tag"

	"github.com/soundtime/soundtime/pkg/track"
)

// Picture is a cover image embedded in an upload, checked from its own bytes.
type Picture struct {
	MIMEType string // "image/jpeg", "image/png", "image/gif" or "image/webp"
	Ext      string // "jpg", "png", "gif" or "webp", without a dot
	Data     []byte
	Width    int
	Height   int
}

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

// ErrMetadataTooLarge: the tags of a file are larger, or made of more parts, than ReadTags reads.
var ErrMetadataTooLarge = errors.New("media: metadata too large")

// ReadTags reads the tags and cover of an upload that Sniff recognised as f, from the start of
// r. Absent tags are not an error: the result is then empty tags and a nil picture, as for WAV
// and WebM, whose tags are not read. A cover that is too large, too wide, or not a JPEG, PNG,
// GIF or WebP image by its own bytes is left out, not an error. Text fields are valid UTF-8
// without control characters or the invisible characters of track.IsInvisible, trimmed and at
// most MaxTagLen bytes long.
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
	switch f.Name {
	case "wav", "webm":
		return track.Tags{}, nil, nil
	}
	m, err := readMetadata(r)
	if errors.Is(err, tag.ErrNoTagsFound) || errors.Is(err, tag.ErrNotID3v1) {
		return track.Tags{}, nil, nil
	}
	if err != nil {
		return track.Tags{}, nil, fmt.Errorf("media: read tags: %w", err)
	}
	if m == nil {
		return track.Tags{}, nil, nil
	}

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
	return tags, pic, nil
}

// readMetadata finds the metadata of r by its magic bytes, as tag.ReadFrom does, and parses it
// with dhowden/tag once it is safe to. It returns a nil Metadata, and perhaps an error, when
// there is nothing to read.
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
		flac, err := flacMetadata(r)
		if flac == nil {
			return nil, err
		}
		return tag.ReadFLACTags(bytes.NewReader(flac))
	case bytes.HasPrefix(b, []byte("OggS")):
		comments, err := oggComments(r)
		if comments == nil {
			return nil, err
		}
		return tag.ReadFLACTags(bytes.NewReader(flacFile(nil, comments)))
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		// No allocation there is larger than what it reads, so caps on reading bound it. It
		// walks every atom to the end of the file, so a cap reached is the end of the walk, not
		// an error: the atoms read before it are whole.
		m, err := tag.ReadAtoms(&capped{r: r, bytes: MaxMetadataSize, reads: maxMP4Reads})
		if errors.Is(err, ErrMetadataTooLarge) {
			err = nil
		}
		return m, err
	case bytes.HasPrefix(b, []byte("ID3")):
		return readID3(r, 0, MaxMetadataSize)
	case len(b) >= 12 && string(b[:4]) == "FORM" && (string(b[8:12]) == "AIFF" || string(b[8:12]) == "AIFC"):
		// dhowden/tag does not read AIFF: its ID3v2 tag is in a chunk of its own.
		off, size, err := aiffID3(r)
		if err != nil || size == 0 {
			return nil, err
		}
		return readID3(r, off, size)
	}
	// An ID3v1 tag is the last 128 bytes, if anything.
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end < 128 {
		return nil, err
	}
	return tag.ReadID3v1Tags(r)
}

// Caps on what dhowden/tag reads. Each ID3v2 frame costs it at least three reads and each MP4
// atom header two, so these bound the frames (and their quadratic naming) and the depth of
// atom recursion; real files use a few dozen.
const (
	maxID3Reads = 3 * 1024
	maxMP4Reads = 16384
)

// capped passes reads and seeks to r until it has read bytes bytes or made reads reads, then
// fails with ErrMetadataTooLarge.
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

// readID3 reads the ID3v2 tag at off, of at most limit bytes, into memory and parses it there.
// Unsynchronisation is undone first, so that every read dhowden/tag makes is one it counts
// against maxID3Reads.
func readID3(r io.ReadSeeker, off, limit int64) (tag.Metadata, error) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	var h [10]byte
	if _, err := io.ReadFull(r, h[:]); err != nil || string(h[:3]) != "ID3" {
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

// scanner reads a stream through a buffer, skipping by seeking where that is shorter, and
// fails with ErrMetadataTooLarge once it has read MaxMetadataSize bytes.
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

// FLAC metadata block types.
const (
	flacVorbisComment = 4
	flacPicture       = 6
)

// maxBlocks bounds the FLAC metadata blocks and Ogg packets looked at; real files have a few.
const maxBlocks = 1024

// flacMetadata reads the metadata blocks of the FLAC stream r and returns a FLAC stream of the
// first Vorbis comment block and one picture block (the first front cover, else the first
// picture), checked and rebuilt, or nil if there are neither.
func flacMetadata(r io.ReadSeeker) ([]byte, error) {
	sc := newScanner(r)
	if err := sc.skip(4); err != nil {
		return nil, nil
	}
	var comments, pic []byte
	for range maxBlocks {
		var h [4]byte
		if err := sc.read(h[:]); err != nil {
			break // a truncated stream: use what was read
		}
		typ, n := h[0]&0x7F, int(h[1])<<16|int(h[2])<<8|int(h[3])
		if typ == flacVorbisComment || typ == flacPicture {
			b := make([]byte, n)
			if err := sc.read(b); err != nil {
				if errors.Is(err, ErrMetadataTooLarge) {
					return nil, err
				}
				break
			}
			switch {
			case typ == flacVorbisComment && comments == nil:
				comments = vorbisComments(b)
			case typ == flacPicture:
				if p, front := pictureBlock(b); p != nil && (pic == nil || front && !pictureFront(pic)) {
					pic = p
				}
			}
		} else if err := sc.skip(int64(n)); err != nil {
			break
		}
		if h[0]&0x80 != 0 { // the last block
			break
		}
	}
	if comments == nil && pic == nil {
		return nil, nil
	}
	return flacFile(pic, comments), nil
}

// flacFile returns a FLAC stream of nothing but a picture block and a Vorbis comment block,
// either of which may be nil.
func flacFile(pic, comments []byte) []byte {
	b := []byte("fLaC")
	block := func(typ byte, data []byte, last bool) {
		if last {
			typ |= 0x80
		}
		n := min(len(data), 0xFFFFFF) // dhowden/tag reads a comment block by its contents
		b = append(b, typ, byte(n>>16), byte(n>>8), byte(n))
		b = append(b, data...)
	}
	if pic != nil {
		block(flacPicture, pic, comments == nil)
	}
	if comments != nil {
		block(flacVorbisComment, comments, true)
	}
	return b
}

// pictureBlock checks a FLAC PICTURE block (RFC 9639 §8.8) and returns it cut to the length its
// fields give, or nil if they run past its end or the picture type is not one of the 21 defined.
// front reports a front cover (type 3).
func pictureBlock(b []byte) (p []byte, front bool) {
	off := 0
	u32 := func() (int, bool) {
		if len(b)-off < 4 {
			return 0, false
		}
		v := binary.BigEndian.Uint32(b[off:])
		off += 4
		return int(v), int64(v) <= int64(len(b)-off)
	}
	typ, ok := u32()
	if !ok || typ > 20 {
		return nil, false
	}
	for range 2 { // MIME type, description
		n, ok := u32()
		if !ok {
			return nil, false
		}
		off += n
	}
	if len(b)-off < 16 {
		return nil, false
	}
	off += 16 // width, height, depth, colours
	n, ok := u32()
	if !ok {
		return nil, false
	}
	return b[:off+n], typ == 3
}

func pictureFront(p []byte) bool { return binary.BigEndian.Uint32(p) == 3 }

// vorbisComments checks a Vorbis comment structure (vendor, then comments, each length-prefixed
// little-endian) and rebuilds it from the comments dhowden/tag can read: each has an "=", and a
// METADATA_BLOCK_PICTURE is base64 of a sound picture block. A structure cut short keeps the
// comments before the cut.
func vorbisComments(b []byte) []byte {
	off := 0
	str := func() ([]byte, bool) {
		if len(b)-off < 4 {
			return nil, false
		}
		n := binary.LittleEndian.Uint32(b[off:])
		if int64(n) > int64(len(b)-off-4) {
			return nil, false
		}
		s := b[off+4 : off+4+int(n)]
		off += 4 + int(n)
		return s, true
	}
	vendor, ok := str()
	if !ok || len(b)-off < 4 {
		return nil
	}
	count := binary.LittleEndian.Uint32(b[off:])
	off += 4
	var kept [][]byte
	for i := uint32(0); i < count; i++ {
		c, ok := str()
		if !ok {
			break
		}
		k, v, ok := bytes.Cut(c, []byte("="))
		if !ok {
			continue
		}
		if strings.ToLower(string(k)) == "metadata_block_picture" {
			data, err := base64.StdEncoding.DecodeString(string(v))
			if p, _ := pictureBlock(data); err != nil || p == nil {
				continue
			}
		}
		kept = append(kept, c)
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(vendor)))
	out = append(out, vendor...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(kept)))
	for _, c := range kept {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
	}
	return out
}

// oggComments reassembles the packets of the Ogg stream r until it finds the comment header of
// a Vorbis, Opus or FLAC logical stream (its second packet) and returns it checked by
// vorbisComments, or nil if there is none among the first maxBlocks packets.
func oggComments(r io.ReadSeeker) ([]byte, error) {
	sc := newScanner(r)
	type stream struct {
		packets int    // complete packets so far
		flac    bool   // the first packet was Ogg FLAC's
		buf     []byte // the packet being assembled
	}
	streams := map[uint32]*stream{}
	total := 0
	for total < maxBlocks {
		var h [27]byte
		if err := sc.read(h[:]); err != nil || string(h[:4]) != "OggS" {
			if errors.Is(err, ErrMetadataTooLarge) {
				return nil, err
			}
			return nil, nil
		}
		serial := binary.LittleEndian.Uint32(h[14:])
		lacing := make([]byte, h[26])
		if err := sc.read(lacing); err != nil {
			return nil, nil
		}
		s := streams[serial]
		if s == nil {
			if len(streams) >= 16 {
				return nil, nil
			}
			s = &stream{}
			streams[serial] = s
		}
		if h[5]&0x01 == 0 { // not a continuation: drop any unfinished packet
			s.buf = s.buf[:0]
		}
		for _, n := range lacing {
			start := len(s.buf)
			s.buf = append(s.buf, make([]byte, n)...)
			if err := sc.read(s.buf[start:]); err != nil {
				if errors.Is(err, ErrMetadataTooLarge) {
					return nil, err
				}
				return nil, nil
			}
			if n == 255 {
				continue
			}
			p := s.buf
			s.buf = nil
			s.packets++
			total++
			switch s.packets {
			case 1:
				s.flac = bytes.HasPrefix(p, []byte("\x7fFLAC"))
			case 2:
				switch {
				case bytes.HasPrefix(p, []byte("\x03vorbis")):
					return vorbisComments(p[7:]), nil
				case bytes.HasPrefix(p, []byte("OpusTags")):
					return vorbisComments(p[8:]), nil
				case s.flac && len(p) >= 4 && p[0]&0x7F == flacVorbisComment:
					return vorbisComments(p[4:]), nil
				}
			}
		}
	}
	return nil, nil
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

// picture checks data as a cover: its type from its magic bytes, never from what the tag says,
// and its dimensions from its header. It returns nil for anything it would not keep.
func picture(data []byte) *Picture {
	if len(data) == 0 || len(data) > MaxPictureSize {
		return nil
	}
	p := &Picture{Data: data}
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		p.MIMEType, p.Ext = "image/jpeg", "jpg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		p.MIMEType, p.Ext = "image/png", "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		p.MIMEType, p.Ext = "image/gif", "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		p.MIMEType, p.Ext = "image/webp", "webp"
	default:
		return nil
	}
	if p.Ext == "webp" {
		p.Width, p.Height = webpSize(data)
	} else if c, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		p.Width, p.Height = c.Width, c.Height
	}
	if p.Width <= 0 || p.Height <= 0 || p.Width > MaxPictureSide || p.Height > MaxPictureSide {
		return nil
	}
	return p
}

// webpSize reads the canvas size of a WebP image from its first chunk (lossy "VP8 ", lossless
// "VP8L" or extended "VP8X"), or returns zeros. The standard library has no WebP decoder.
func webpSize(b []byte) (w, h int) {
	if len(b) < 30 {
		return 0, 0
	}
	chunk, data := string(b[12:16]), b[20:]
	switch chunk {
	case "VP8X": // flags and reserved (4), canvas width-1 and height-1 (24 bits LE each)
		w = 1 + (int(data[4]) | int(data[5])<<8 | int(data[6])<<16)
		h = 1 + (int(data[7]) | int(data[8])<<8 | int(data[9])<<16)
		return w, h
	case "VP8 ": // frame tag (3), start code 9d 01 2a, width and height (14 bits LE each)
		if data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
			return 0, 0
		}
		return int(binary.LittleEndian.Uint16(data[6:]) & 0x3FFF), int(binary.LittleEndian.Uint16(data[8:]) & 0x3FFF)
	case "VP8L": // signature 0x2f, then width-1 and height-1 (14 bits each)
		if data[0] != 0x2f {
			return 0, 0
		}
		v := binary.LittleEndian.Uint32(data[1:])
		return 1 + int(v&0x3FFF), 1 + int(v>>14&0x3FFF)
	}
	return 0, 0
}
