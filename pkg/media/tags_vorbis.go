package media

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// vorbisComments checks a Vorbis comment structure (vendor, then comments, each length-prefixed
// little-endian) and rebuilds it from the comments dhowden/tag can read: each has an "=", and a
// METADATA_BLOCK_PICTURE is base64 of a sound picture block. A structure cut short keeps the
// comments before the cut. FLAC keeps the structure in a metadata block, Ogg Vorbis, Opus and
// Ogg FLAC in a comment header packet.
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
