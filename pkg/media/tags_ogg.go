package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/dhowden/tag"
)

// readOgg reads the tags and cover of an Ogg Vorbis, Opus or Ogg FLAC file: its Vorbis comments,
// checked and rebuilt, handed to dhowden/tag as a FLAC stream of one comment block.
func readOgg(r io.ReadSeeker) (tag.Metadata, error) {
	comments, err := oggComments(r)
	if comments == nil {
		return nil, err
	}
	return tag.ReadFLACTags(bytes.NewReader(flacFile(nil, comments)))
}

// oggComments reassembles the packets of the Ogg stream r until it finds the comment header of
// a Vorbis, Opus or FLAC logical stream (its second packet) and returns it checked by
// vorbisComments, or tag.ErrNoTagsFound if there is none among the first maxBlocks packets.
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
			return nil, tag.ErrNoTagsFound
		}
		serial := binary.LittleEndian.Uint32(h[14:])
		lacing := make([]byte, h[26])
		if err := sc.read(lacing); err != nil {
			return nil, tag.ErrNoTagsFound
		}
		s := streams[serial]
		if s == nil {
			if len(streams) >= 16 {
				return nil, tag.ErrNoTagsFound
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
				return nil, tag.ErrNoTagsFound
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
	return nil, tag.ErrNoTagsFound
}
