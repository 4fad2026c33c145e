package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/dhowden/tag"
)

// FLAC metadata block types.
const (
	flacVorbisComment = 4
	flacPicture       = 6
)

// readFLAC reads the tags and cover of a FLAC file. dhowden/tag only ever sees the blocks
// flacMetadata has checked and rebuilt.
func readFLAC(r io.ReadSeeker) (tag.Metadata, error) {
	flac, err := flacMetadata(r)
	if flac == nil {
		return nil, err
	}
	return tag.ReadFLACTags(bytes.NewReader(flac))
}

// flacMetadata reads the metadata blocks of the FLAC stream r and returns a FLAC stream of the
// first Vorbis comment block and one picture block (the first front cover, else the first
// picture), checked and rebuilt, or tag.ErrNoTagsFound if there are neither.
func flacMetadata(r io.ReadSeeker) ([]byte, error) {
	sc := newScanner(r)
	if err := sc.skip(4); err != nil {
		return nil, tag.ErrNoTagsFound
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
		return nil, tag.ErrNoTagsFound
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
