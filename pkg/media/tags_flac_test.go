package media_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
)

// flacPictureBlock returns the contents of a FLAC PICTURE block of picture type typ whose data
// length field says dataLen.
func flacPictureBlock(typ int, mime string, data []byte, dataLen uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(typ))
	b = binary.BigEndian.AppendUint32(b, uint32(len(mime)))
	b = append(b, mime...)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, make([]byte, 16)...)
	b = binary.BigEndian.AppendUint32(b, dataLen)
	return append(b, data...)
}

// vorbisComment returns a Vorbis comment structure holding comments.
func vorbisComment(comments ...string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 4)
	b = append(b, "test"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(comments)))
	for _, c := range comments {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

// flacStream returns a FLAC stream of the given metadata blocks (type, contents), the last
// flagged as such.
func flacStream(blocks ...any) []byte {
	b := []byte("fLaC")
	for i := 0; i < len(blocks); i += 2 {
		typ, data := byte(blocks[i].(int)), blocks[i+1].([]byte)
		if i == len(blocks)-2 {
			typ |= 0x80
		}
		b = append(b, typ, byte(len(data)>>16), byte(len(data)>>8), byte(len(data)))
		b = append(b, data...)
	}
	return b
}

// TestReadTagsFrontCover: of several FLAC pictures, the front cover is kept.
func TestReadTagsFrontCover(t *testing.T) {
	jpg := encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }, 30, 20)
	pngData := encoded(t, png.Encode, 31, 21)
	b := flacStream(
		6, flacPictureBlock(4, "image/png", pngData, uint32(len(pngData))), // back cover
		6, flacPictureBlock(3, "image/jpeg", jpg, uint32(len(jpg))), // front cover
		6, flacPictureBlock(0, "image/png", pngData, uint32(len(pngData))), // other
	)
	_, pic, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "flac"})
	if err != nil || pic == nil || pic.MIMEType != "image/jpeg" {
		t.Fatalf("ReadTags picture = %+v, %v; want the JPEG front cover", pic, err)
	}
}
